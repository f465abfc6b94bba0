using System.Globalization;
using System.Text;
using Platform.Api.Features.Discovery.GetContent;
using Platform.Api.Features.Seo.Shared;

namespace Platform.Api.Features.Seo.ContentPage;

/// <summary>The HTML of <c>/c/{slug}</c>: readable without JavaScript, with everything a crawler and a link preview read.</summary>
public static class ContentPageRenderer
{
    public static string Render(Response item, string baseUrl)
    {
        var creatorName = item.Creator.DisplayName ?? item.Creator.Username;
        var creatorUrl = $"{baseUrl}/@{Uri.EscapeDataString(item.Creator.Username)}";
        // Always our own address: a canonical URL from an import would hand the page's ranking to any site.
        var canonical = $"{baseUrl}/c/{item.Slug}";
        var title = (item.MetaTitle ?? item.Title) + " – " + creatorName;
        var description = Html.Summary(item.MetaDescription ?? (item.Description.Length > 0 ? item.Description : $"{item.Title} by {creatorName}"));
        var image = Html.SafeUrl(item.OgImageUrl) ?? Html.SafeUrl(item.ThumbnailUrl)
            ?? item.Media.Select(m => Html.SafeUrl(m.Url)).FirstOrDefault(u => u is not null);
        var isVideo = item.Platform == "youtube" || item.DurationSeconds is > 0 || item.Media.Any(m => m.Kind is "video" or "player");
        var author = new Dictionary<string, object?> { ["@type"] = "Person", ["name"] = creatorName, ["url"] = creatorUrl };
        object jsonLd = isVideo
            ? new Dictionary<string, object?>
            {
                ["@context"] = "https://schema.org",
                ["@type"] = "VideoObject",
                ["name"] = item.Title,
                ["description"] = description,
                ["thumbnailUrl"] = image is null ? null : new[] { image },
                ["uploadDate"] = Html.Date(item.PublishedAt),
                ["duration"] = Html.IsoDuration(item.DurationSeconds),
                ["contentUrl"] = Html.SafeUrl(item.Url),
                ["url"] = canonical,
                ["author"] = author,
                ["genre"] = item.Category?.Name,
                ["keywords"] = item.Tags.Count == 0 ? null : string.Join(", ", item.Tags),
                ["interactionStatistic"] = item.ViewCount is null ? null : new Dictionary<string, object?>
                {
                    ["@type"] = "InteractionCounter",
                    ["interactionType"] = new Dictionary<string, object?> { ["@type"] = "WatchAction" },
                    ["userInteractionCount"] = item.ViewCount,
                },
            }
            : new Dictionary<string, object?>
            {
                ["@context"] = "https://schema.org",
                ["@type"] = "Article",
                ["headline"] = item.Title,
                ["description"] = description,
                ["image"] = image,
                ["datePublished"] = Html.Date(item.PublishedAt),
                ["dateModified"] = Html.Date(item.UpdatedAt),
                ["url"] = canonical,
                ["author"] = author,
            };

        var body = new StringBuilder(2048);
        body.Append("<main>\n<article>\n<h1>").Append(Html.E(item.Title)).Append("</h1>\n<p class=\"byline\">by <a href=\"")
            .Append(Html.E(creatorUrl)).Append("\" rel=\"author\">").Append(Html.E(creatorName)).Append("</a> · <time datetime=\"")
            .Append(Html.Date(item.PublishedAt)).Append("\">")
            .Append(Html.E(item.PublishedAt.UtcDateTime.ToString("d MMMM yyyy", CultureInfo.InvariantCulture))).Append("</time>");
        if (item.Category is not null)
        {
            body.Append(" · ").Append(Html.E(item.Category.Name));
        }

        body.Append("</p>\n");
        if (image is not null)
        {
            body.Append("<img src=\"").Append(Html.E(image)).Append("\" alt=\"").Append(Html.E(item.Title)).Append("\">\n");
        }

        foreach (var paragraph in item.Description.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            body.Append("<p>").Append(Html.E(paragraph)).Append("</p>\n");
        }

        if (Html.SafeUrl(item.Url) is { } original)
        {
            body.Append("<p><a class=\"original\" href=\"").Append(Html.E(original)).Append("\" rel=\"").Append(Html.UserLinkRel).Append("\">")
                .Append(item.Platform == "youtube" ? "Watch on YouTube" : "Read the original").Append("</a></p>\n");
        }

        if (item.Tags.Count > 0)
        {
            body.Append("<ul class=\"tags\">");
            foreach (var tag in item.Tags)
            {
                body.Append("<li>").Append(Html.E(tag)).Append("</li>");
            }

            body.Append("</ul>\n");
        }

        body.Append("</article>\n</main>");
        return Html.Page(new PageMeta(SeoContext.SiteName, title, description, canonical, isVideo ? "video.other" : "article", image, Html.JsonLd(jsonLd)), body.ToString());
    }
}
