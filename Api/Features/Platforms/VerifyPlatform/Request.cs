namespace Platform.Api.Features.Platforms.VerifyPlatform;

public sealed class Request
{
    public Guid Id { get; set; }
}
