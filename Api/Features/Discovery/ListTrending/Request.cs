namespace Platform.Api.Features.Discovery.ListTrending;

public sealed class Request
{
    /// <summary><c>24h</c> (default) or <c>7d</c>.</summary>
    public string? Window { get; set; }

    /// <summary>Category slug (optional).</summary>
    public string? Category { get; set; }

    /// <summary>1..100, default 20.</summary>
    public int? Limit { get; set; }
}

public sealed record TrendingItem(int Rank, double Score, int WindowClicks, Shared.ContentCard Content);

public sealed record Response(string Window, string? Category, IReadOnlyList<TrendingItem> Items);
