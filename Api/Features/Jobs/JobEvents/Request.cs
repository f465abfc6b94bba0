namespace Platform.Api.Features.Jobs.JobEvents;

public sealed class Request
{
    public Guid Id { get; set; }
}
