namespace Platform.Api.Features.Platforms.GetPlatform;

public sealed class Request
{
    public Guid Id { get; set; }
}
