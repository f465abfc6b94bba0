namespace Platform.Api.Features.Discovery.RecordClick;

public sealed class Request
{
    /// <summary>Route: the content item's id.</summary>
    public Guid Id { get; set; }

    /// <summary>Where the click came from: feed, search, trending, profile, share, ... (optional).</summary>
    public string? Source { get; set; }

    /// <summary>The page the visitor was on; defaults to the Referer header.</summary>
    public string? Referrer { get; set; }
}

public sealed record Response(bool Counted);
