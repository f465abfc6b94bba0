namespace Platform.Api.Features.Platforms.DisconnectPlatform;

public sealed class Request
{
    public Guid Id { get; set; }
}
