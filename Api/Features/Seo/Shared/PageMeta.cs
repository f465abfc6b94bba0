namespace Platform.Api.Features.Seo.Shared;

/// <summary>
/// What the layout (<see cref="SiteLayout"/>) writes into a page's head: title, description, canonical URL, Open
/// Graph and Twitter card (<c>og:image</c> falls back to <see cref="SiteAssets.ShareImagePath"/>), JSON-LD, robots, breadcrumbs,
/// and the <c>rel="prev"</c>/<c>rel="next"</c> links of a paginated list. URLs are absolute.
/// </summary>
public sealed record PageMeta(
    string Title,
    string Description,
    string? Canonical,
    string OgType = "website",
    string? Image = null,
    string? JsonLd = null,
    bool NoIndex = false,
    string? Prev = null,
    string? Next = null,
    IReadOnlyList<Crumb>? Breadcrumbs = null);

/// <summary>One step of a page's breadcrumb trail: its name and site-relative path (shown, and as schema.org BreadcrumbList).</summary>
public sealed record Crumb(string Name, string Path);
