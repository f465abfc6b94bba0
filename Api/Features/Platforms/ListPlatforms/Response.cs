namespace Platform.Api.Features.Platforms.ListPlatforms;

public sealed record Response(IReadOnlyList<PlatformAccountResponse> Items);
