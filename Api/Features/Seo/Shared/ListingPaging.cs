using Platform.Api.Features.Discovery.Shared;

namespace Platform.Api.Features.Seo.Shared;

/// <summary>
/// Keyset pagination of the site's lists, in the URL: <c>?sort=recent|popular|trending</c> (default recent),
/// <c>?cursor=</c> (the page after a row) or <c>?before=</c> (the page before a row), cursors as in the JSON API
/// (<see cref="FeedCursor"/>). Page 1 has no cursor, so its canonical URL has none either.
/// </summary>
public sealed record ListingPaging(string Sort, FeedCursor? Cursor, bool Backward)
{
    public const int PageSize = 24;

    /// <summary>The sorts with their labels, in the order of the page's sort tabs.</summary>
    public static readonly IReadOnlyList<(string Sort, string Label)> SortLabels = [("recent", "Newest"), ("popular", "Popular"), ("trending", "Trending")];

    /// <summary>This sort's label ("Newest", "Popular", "Trending").</summary>
    public string SortLabel => SortLabels.First(s => s.Sort == Sort).Label;

    /// <summary>
    /// The request's paging, or an error sentence for a 400 page (a sort not in <paramref name="sorts"/>, default
    /// <see cref="FeedQuery.Sorts"/>; a malformed or foreign cursor; both cursors). A list that offers fewer sorts
    /// (a profile: newest first) refuses the others, so no unlinked variant of it answers 200 with its own canonical URL.
    /// </summary>
    public static ListingPaging? Parse(HttpRequest request, out string? error, IReadOnlyList<string>? sorts = null)
    {
        error = null;
        sorts ??= FeedQuery.Sorts;
        var sort = request.Query["sort"].Count == 1 ? request.Query["sort"].ToString() : request.Query["sort"].Count == 0 ? "recent" : null;
        if (sort is null || !sorts.Contains(sort))
        {
            error = sorts.Count == 1 ? $"This list has one order ({sorts[0]}): leave sort out." : $"sort must be one of: {string.Join(", ", sorts)}.";
            return null;
        }

        var after = request.Query["cursor"];
        var before = request.Query["before"];
        if (after.Count + before.Count == 0)
        {
            return new ListingPaging(sort, null, false);
        }

        var text = after.Count + before.Count == 1 ? (after.Count == 1 ? after.ToString() : before.ToString()) : null;
        if (text is null || !FeedCursor.TryDecode(text, out var cursor) || cursor.Sort != FeedQuery.SortCode(sort))
        {
            error = "This page link is malformed or belongs to another sort order.";
            return null;
        }

        return new ListingPaging(sort, cursor, before.Count == 1);
    }

    public FeedQuery Query(string? category, string? tag, string? creator) =>
        new(Sort, category, tag, null, creator, TrendingWindows.Day, Cursor, PageSize, Backward);

    /// <summary>Part of the cache key: the page exactly.</summary>
    public string Key => $"{Sort}:{(Backward ? "b" : "a")}:{Cursor?.Encode()}";

    /// <summary>Path of page 1 of <paramref name="basePath"/> in this sort.</summary>
    public string FirstPage(string basePath) => Sort == "recent" ? basePath : $"{basePath}?sort={Sort}";

    private string With(string basePath, string parameter, string cursor) =>
        $"{basePath}{(Sort == "recent" ? "?" : $"?sort={Sort}&")}{parameter}={cursor}";

    /// <summary>Whether this is page 1 (no cursor, or walked back to the start).</summary>
    public bool IsFirstPage(FeedSlice slice) => Cursor is null || (Backward && !slice.HasMore);

    /// <summary>The previous and next page paths of <paramref name="slice"/> (null where there is none).</summary>
    public (string? Prev, string? Next) Links(string basePath, FeedSlice slice)
    {
        if (slice.Items.Count == 0)
        {
            return (Cursor is null ? null : FirstPage(basePath), null);
        }

        var prev = IsFirstPage(slice) ? null : With(basePath, "before", slice.FirstCursor!);
        var next = Backward || slice.HasMore ? With(basePath, "cursor", slice.LastCursor!) : null;
        return (prev, next);
    }

    /// <summary>This page's own path (its canonical URL: page 1 without a cursor).</summary>
    public string Self(string basePath, FeedSlice slice) =>
        IsFirstPage(slice) || Cursor is null ? FirstPage(basePath) : With(basePath, Backward ? "before" : "cursor", Cursor.Value.Encode());
}
