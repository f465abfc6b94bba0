using System.Text.Json;
using System.Text.Json.Serialization;

namespace Platform.Api.Features.Account.UpdateProfile;

/// <summary>
/// <c>PATCH /api/me/profile</c> body, merge-patch style: a field left out stays as it is, <c>null</c> clears it
/// (<c>social_links: null</c> empties the links). Fields are raw JSON so that absent and null can be told apart.
/// </summary>
public sealed class Request
{
    /// <summary>2-39 characters of a-z, 0-9, <c>_ . -</c> (not starting with <c>.</c> or <c>-</c>); unique case-insensitively.</summary>
    public JsonElement Username { get; set; }

    /// <summary>At most 100 characters.</summary>
    public JsonElement DisplayName { get; set; }

    /// <summary>At most 5,000 characters.</summary>
    public JsonElement Bio { get; set; }

    /// <summary>An absolute http(s) URL.</summary>
    public JsonElement AvatarUrl { get; set; }

    /// <summary>An absolute http(s) URL.</summary>
    public JsonElement WebsiteUrl { get; set; }

    /// <summary>An object of network name (<c>youtube</c>, <c>x</c>…) to an http(s) URL, at most 16.</summary>
    public JsonElement SocialLinks { get; set; }

    /// <summary><c>true</c> shows the profile at <c>/@{username}</c> (needs a username); never null.</summary>
    public JsonElement IsPublic { get; set; }

    /// <summary>Any other field (refused, named in the 400).</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Unknown { get; set; }
}
