using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.RegularExpressions;

namespace Platform.Api.Features.Seo.ContentPage;

/// <summary>
/// A YouTube video on an item page, without loading YouTube until the visitor asks: an <c>&lt;iframe srcdoc&gt;</c>
/// holding the thumbnail and a play button that links, inside the frame, to the privacy-enhanced embed
/// (<c>https://www.youtube-nocookie.com/embed/{id}?autoplay=1</c>, YouTube's "privacy-enhanced mode": no cookies
/// until playback). No script runs on our page; the frame's document inherits our CSP (its one style is allowed by
/// <see cref="StyleHash"/>), and <c>frame-src</c> admits only the embed origin.
/// </summary>
public static partial class YouTubePlayer
{
    public const string EmbedOrigin = "https://www.youtube-nocookie.com";

    /// <summary>The style of the frame's document (allowed by its SHA-256 in the page CSP).</summary>
    public const string Style =
        "html,body{margin:0;height:100%;background:#000}a{display:block;position:relative;height:100%}"
        + "img{width:100%;height:100%;object-fit:cover}span{position:absolute;inset:0;margin:auto;width:68px;height:48px;"
        + "border-radius:12px;background:#c00;color:#fff;font:28px/48px sans-serif;text-align:center}";

    public static readonly string StyleHash = "'sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(Style))) + "'";

    /// <summary>A YouTube video id is 11 characters of [A-Za-z0-9_-]; anything else is not embedded (the page links out).</summary>
    public static bool IsVideoId(string? id) => id is not null && VideoId().IsMatch(id);

    public static string EmbedUrl(string videoId) => $"{EmbedOrigin}/embed/{videoId}?autoplay=1";

    /// <summary>The frame's document (the value of <c>srcdoc</c>; Razor encodes it once more as an attribute).</summary>
    public static string FrameDocument(string videoId, string title, string? thumbnail)
    {
        var e = HtmlEncoder.Default;
        var image = thumbnail is null ? string.Empty : $"<img src=\"{e.Encode(thumbnail)}\" alt=\"\">";
        return $"<!doctype html><html lang=\"en\"><title>{e.Encode(title)}</title><style>{Style}</style>"
            + $"<a href=\"{e.Encode(EmbedUrl(videoId))}\" aria-label=\"Play {e.Encode(title)}\">{image}<span>▶</span></a></html>";
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{11}$")]
    private static partial Regex VideoId();
}
