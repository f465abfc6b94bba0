namespace Platform.Api.Features.Discovery.ListContent;

public sealed class Request
{
    /// <summary>Category slug (see /api/public/categories).</summary>
    public string? Category { get; set; }

    /// <summary>A tag (lowercase).</summary>
    public string? Tag { get; set; }

    /// <summary><c>youtube</c> or <c>feed</c>.</summary>
    public string? Platform { get; set; }

    /// <summary>A creator's username.</summary>
    public string? Creator { get; set; }

    /// <summary><c>recent</c> (default), <c>popular</c> (most clicked) or <c>trending</c>.</summary>
    public string? Sort { get; set; }

    /// <summary>Trending window when <c>sort=trending</c>: <c>24h</c> (default) or <c>7d</c>.</summary>
    public string? Window { get; set; }

    /// <summary>The <c>next_cursor</c> of the previous page.</summary>
    public string? Cursor { get; set; }

    /// <summary>1..100, default 20.</summary>
    public int? Limit { get; set; }
}
