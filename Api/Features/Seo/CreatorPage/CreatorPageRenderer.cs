using System.Text;
using System.Text.Json;
using Platform.Api.Features.Discovery.GetCreator;
using Platform.Api.Features.Discovery.Shared;
using Platform.Api.Features.Seo.Shared;

namespace Platform.Api.Features.Seo.CreatorPage;

/// <summary>The HTML of <c>/@{username}</c>: profile (schema.org ProfilePage + Person) and links to their latest content.</summary>
public static class CreatorPageRenderer
{
    public static string Render(Profile creator, IReadOnlyList<ContentCard> items, string baseUrl)
    {
        var name = creator.DisplayName ?? creator.Username;
        var canonical = $"{baseUrl}/@{Uri.EscapeDataString(creator.Username)}";
        var title = $"{name} (@{creator.Username}) – {SeoContext.SiteName}";
        var description = Html.Summary(string.IsNullOrWhiteSpace(creator.Bio)
            ? $"{name} on {SeoContext.SiteName}: {creator.ContentCount} videos and posts."
            : creator.Bio);
        var image = Html.SafeUrl(creator.AvatarUrl);
        var sameAs = new List<string>();
        if (Html.SafeUrl(creator.WebsiteUrl) is { } website)
        {
            sameAs.Add(website);
        }

        if (creator.SocialLinks.ValueKind == JsonValueKind.Object)
        {
            sameAs.AddRange(creator.SocialLinks.EnumerateObject()
                .Select(p => p.Value.ValueKind == JsonValueKind.String ? Html.SafeUrl(p.Value.GetString()) : null)
                .OfType<string>());
        }

        var jsonLd = new Dictionary<string, object?>
        {
            ["@context"] = "https://schema.org",
            ["@type"] = "ProfilePage",
            ["url"] = canonical,
            ["dateCreated"] = Html.Date(creator.JoinedAt),
            ["dateModified"] = creator.ProfileUpdatedAt is null ? null : Html.Date(creator.ProfileUpdatedAt.Value),
            ["mainEntity"] = new Dictionary<string, object?>
            {
                ["@type"] = "Person",
                ["name"] = name,
                ["alternateName"] = "@" + creator.Username,
                ["description"] = creator.Bio,
                ["image"] = image,
                ["url"] = canonical,
                ["sameAs"] = sameAs.Count == 0 ? null : sameAs,
            },
        };

        var body = new StringBuilder(4096);
        body.Append("<main>\n<header class=\"profile\">\n");
        if (image is not null)
        {
            body.Append("<img src=\"").Append(Html.E(image)).Append("\" alt=\"").Append(Html.E(name)).Append("\" width=\"96\" height=\"96\">\n");
        }

        body.Append("<h1>").Append(Html.E(name)).Append("</h1>\n<p class=\"handle\">@").Append(Html.E(creator.Username)).Append("</p>\n");
        if (!string.IsNullOrWhiteSpace(creator.Bio))
        {
            body.Append("<p class=\"bio\">").Append(Html.E(creator.Bio)).Append("</p>\n");
        }

        foreach (var link in sameAs)
        {
            body.Append("<p><a href=\"").Append(Html.E(link)).Append("\" rel=\"").Append(Html.UserLinkRel).Append("\">").Append(Html.E(link)).Append("</a></p>\n");
        }

        body.Append("</header>\n<section>\n<h2>Latest</h2>\n<ul class=\"content\">\n");
        foreach (var item in items)
        {
            body.Append("<li><a href=\"/c/").Append(Html.E(item.Slug)).Append("\">").Append(Html.E(item.Title)).Append("</a></li>\n");
        }

        body.Append("</ul>\n</section>\n</main>");
        return Html.Page(new PageMeta(SeoContext.SiteName, title, description, canonical, "profile", image, Html.JsonLd(jsonLd)), body.ToString());
    }
}
