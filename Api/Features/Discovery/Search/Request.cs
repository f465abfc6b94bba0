namespace Platform.Api.Features.Discovery.Search;

public sealed class Request
{
    /// <summary>Free text (web-search syntax: words, "phrases", -exclusions, or); anything is a valid query.</summary>
    public string? Q { get; set; }

    /// <summary>Category slug (optional).</summary>
    public string? Category { get; set; }

    /// <summary>1..50, default 20.</summary>
    public int? Limit { get; set; }
}

public sealed record SearchHit(double Rank, Shared.ContentCard Content);

/// <summary>
/// <c>mode</c>: <c>fulltext</c> (ranked matches) or <c>fuzzy</c> (full text found nothing, so the words no title holds
/// were corrected to the closest title words: <c>corrected_query</c>, null when there was nothing to correct).
/// </summary>
public sealed record Response(string Query, string Mode, IReadOnlyList<SearchHit> Items, string? CorrectedQuery = null);
