namespace Platform.Api.Features.Jobs.ListJobs;

public sealed class Request
{
    [FastEndpoints.QueryParam]
    public string? Status { get; set; }

    [FastEndpoints.QueryParam]
    public string? Type { get; set; }

    [FastEndpoints.QueryParam]
    public string? Cursor { get; set; }

    [FastEndpoints.QueryParam]
    public int? Limit { get; set; }
}
