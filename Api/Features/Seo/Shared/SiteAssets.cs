using System.Security.Cryptography;

namespace Platform.Api.Features.Seo.Shared;

/// <summary>
/// The site's static files, embedded in the assembly and served under a path that carries a hash of their content
/// (<c>/assets/site.{hash}.css</c>), so they are cached immutably for a year (RFC 8246) and a new build changes the
/// URL: the one style sheet of every page, and the fixed 1200×630 share image used as <c>og:image</c> when a page
/// has no picture of its own (Open Graph, https://ogp.me; the size Facebook and LinkedIn recommend).
/// </summary>
public static class SiteAssets
{
    public const string ImmutableCacheControl = "public, max-age=31536000, immutable";

    public static readonly Asset Stylesheet = Load("site.css", "text/css; charset=utf-8");

    public static readonly Asset ShareImage = Load("share.png", "image/png");

    public static string StylesheetPath => Stylesheet.Path;

    public static string ShareImagePath => ShareImage.Path;

    /// <summary>The asset at <paramref name="path"/> (exact, hash included), or null.</summary>
    public static Asset? Find(string path) =>
        path == Stylesheet.Path ? Stylesheet : path == ShareImage.Path ? ShareImage : null;

    private static Asset Load(string name, string contentType)
    {
        using var stream = typeof(SiteAssets).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"Embedded resource {name} is missing (Api.csproj)");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        var bytes = buffer.ToArray();
        var hash = Convert.ToHexStringLower(SHA256.HashData(bytes))[..12];
        var dot = name.LastIndexOf('.');
        return new Asset($"/assets/{name[..dot]}.{hash}{name[dot..]}", bytes, contentType, $"\"{hash}\"");
    }

    public sealed record Asset(string Path, byte[] Body, string ContentType, string ETag);
}
