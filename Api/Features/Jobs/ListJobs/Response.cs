namespace Platform.Api.Features.Jobs.ListJobs;

public sealed record Response(IReadOnlyList<JobResponse> Items, string? NextCursor);
