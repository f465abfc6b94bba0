namespace Platform.Api.Features.Jobs.CancelJob;

public sealed class Request
{
    public Guid Id { get; set; }
}
