namespace Platform.Api.Features.Jobs.GetJobAudit;

public sealed class Request
{
    public Guid Id { get; set; }
}
