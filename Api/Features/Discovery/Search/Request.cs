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

/// <summary><c>mode</c>: <c>fulltext</c> (ranked matches) or <c>fuzzy</c> (typo-tolerant title match, when full text found nothing).</summary>
public sealed record Response(string Query, string Mode, IReadOnlyList<SearchHit> Items);
