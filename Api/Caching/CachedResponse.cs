using System.ComponentModel;
using System.Security.Cryptography;
using Platform.Api.Features.Discovery.Shared;

namespace Platform.Api.Caching;

/// <summary>
/// A public response as it is cached: the serialized body and its strong ETag, so a cache hit is a memory copy and
/// a revalidation (<c>If-None-Match</c>) costs no serialization. <see cref="Status"/> 404 caches "not found" too,
/// so unknown slugs cannot hammer Postgres.
/// </summary>
[ImmutableObject(true)]
public sealed class CachedResponse
{
    public required int Status { get; init; }

    public required byte[] Body { get; init; }

    public required string ETag { get; init; }

    public string ContentType { get; init; } = "application/json; charset=utf-8";

    /// <summary>Where a 301 points (<see cref="Moved"/>).</summary>
    public string? Location { get; init; }

    public static CachedResponse Json<T>(T value) => FromBytes(DiscoveryJson.Serialize(value), "application/json; charset=utf-8");

    public static CachedResponse FromBytes(byte[] body, string contentType, int status = StatusCodes.Status200OK) => new()
    {
        Status = status,
        Body = body,
        ETag = ComputeETag(body),
        ContentType = contentType,
    };

    public static CachedResponse NotFound() => new() { Status = StatusCodes.Status404NotFound, Body = [], ETag = string.Empty };

    /// <summary>301 to <paramref name="location"/> (a renamed creator's old username).</summary>
    public static CachedResponse Moved(string location) =>
        new() { Status = StatusCodes.Status301MovedPermanently, Body = [], ETag = string.Empty, Location = location };

    /// <summary>410: it existed and was deleted on purpose (a deleted account's profile and items).</summary>
    public static CachedResponse Gone() => new() { Status = StatusCodes.Status410Gone, Body = [], ETag = string.Empty };

    public static string ComputeETag(ReadOnlySpan<byte> body)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(body, hash);
        return "\"" + Convert.ToBase64String(hash[..15]).Replace('+', '-').Replace('/', '_') + "\"";
    }
}
