namespace Platform.Api.Features.Jobs.GetJob;

public sealed class Request
{
    public Guid Id { get; set; }
}
