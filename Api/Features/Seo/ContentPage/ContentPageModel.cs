using Platform.Api.Features.Discovery.GetContent;
using Platform.Api.Features.Discovery.Shared;
using Platform.Api.Features.Seo.Shared;

namespace Platform.Api.Features.Seo.ContentPage;

/// <summary>
/// What <c>/c/{slug}</c> shows: the item, more from its creator and related items (sharing its first tag, else its
/// category), and everything derived once for head and body: canonical URL, share image, schema.org JSON-LD
/// (VideoObject for videos, Article otherwise).
/// </summary>
public sealed class ContentPageModel
{
    public ContentPageModel(Response item, IReadOnlyList<ContentCard> fromCreator, IReadOnlyList<ContentCard> related, string baseUrl)
    {
        Item = item;
        FromCreator = fromCreator;
        Related = related;
        BaseUrl = baseUrl;
        CreatorName = item.Creator.DisplayName ?? item.Creator.Username;
        CreatorPath = Html.CreatorPath(item.Creator.Username);
        // Always our own address: a canonical URL from an import would hand the page's ranking to any site.
        Canonical = baseUrl + Html.ContentPath(item.Slug);
        Description = Html.Summary(item.MetaDescription ?? (item.Description.Length > 0 ? item.Description : $"{item.Title} by {CreatorName}"));
        Image = Html.SafeUrl(item.OgImageUrl) ?? Html.SafeUrl(item.ThumbnailUrl)
            ?? item.Media.Where(m => m.Kind is "thumbnail" or "image").Select(m => Html.SafeUrl(m.Url)).FirstOrDefault(u => u is not null);
        IsVideo = item.Platform == "youtube" || item.DurationSeconds is > 0 || item.Media.Any(m => m.Kind is "video" or "player");
        YouTubeId = item.Platform == "youtube" && YouTubePlayer.IsVideoId(item.ExternalId) ? item.ExternalId : null;
        Enclosure = YouTubeId is null
            ? item.Media.FirstOrDefault(m => m.Kind is "video" or "audio" && Html.SafeUrl(m.Url) is not null)
            : null;
        Breadcrumbs = item.Category is { } category
            ? [new Crumb("Home", "/"), new Crumb(category.Name, Html.CategoryPath(category.Slug)), new Crumb(item.Title, Html.ContentPath(item.Slug))]
            : [new Crumb("Home", "/"), new Crumb(CreatorName, CreatorPath), new Crumb(item.Title, Html.ContentPath(item.Slug))];
    }

    public Response Item { get; }
    public IReadOnlyList<ContentCard> FromCreator { get; }
    public IReadOnlyList<ContentCard> Related { get; }
    public string BaseUrl { get; }
    public string CreatorName { get; }
    public string CreatorPath { get; }
    public string Canonical { get; }
    public string Description { get; }
    public string? Image { get; }
    public bool IsVideo { get; }

    /// <summary>Set when the item is a YouTube video with a well-formed id: the page embeds it (<see cref="YouTubePlayer"/>).</summary>
    public string? YouTubeId { get; }

    /// <summary>A feed item's audio or video enclosure, played in place.</summary>
    public Discovery.GetContent.Media? Enclosure { get; }

    public IReadOnlyList<Crumb> Breadcrumbs { get; }

    public PageMeta Meta => new(
        (Item.MetaTitle ?? Item.Title) + " – " + CreatorName, Description, Canonical, IsVideo ? "video.other" : "article", Image,
        Html.JsonLd(JsonLd()), Breadcrumbs: Breadcrumbs);

    private object JsonLd()
    {
        var author = new Dictionary<string, object?> { ["@type"] = "Person", ["name"] = CreatorName, ["url"] = BaseUrl + CreatorPath };
        return IsVideo
            ? new Dictionary<string, object?>
            {
                ["@context"] = "https://schema.org",
                ["@type"] = "VideoObject",
                ["name"] = Item.Title,
                ["description"] = Description,
                ["thumbnailUrl"] = Image is null ? null : new[] { Image },
                ["uploadDate"] = Html.Date(Item.PublishedAt),
                ["duration"] = Html.IsoDuration(Item.DurationSeconds),
                ["contentUrl"] = Html.SafeUrl(Item.Url),
                ["embedUrl"] = YouTubeId is null ? null : $"{YouTubePlayer.EmbedOrigin}/embed/{YouTubeId}",
                ["url"] = Canonical,
                ["author"] = author,
                ["genre"] = Item.Category?.Name,
                ["keywords"] = Item.Tags.Count == 0 ? null : string.Join(", ", Item.Tags),
                ["interactionStatistic"] = Item.ViewCount is null ? null : new Dictionary<string, object?>
                {
                    ["@type"] = "InteractionCounter",
                    ["interactionType"] = new Dictionary<string, object?> { ["@type"] = "WatchAction" },
                    ["userInteractionCount"] = Item.ViewCount,
                },
            }
            : new Dictionary<string, object?>
            {
                ["@context"] = "https://schema.org",
                ["@type"] = "Article",
                ["headline"] = Item.Title,
                ["description"] = Description,
                ["image"] = Image,
                ["datePublished"] = Html.Date(Item.PublishedAt),
                ["dateModified"] = Html.Date(Item.UpdatedAt),
                ["url"] = Canonical,
                ["author"] = author,
            };
    }
}
