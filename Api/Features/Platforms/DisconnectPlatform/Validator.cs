using FastEndpoints;
using FluentValidation;

namespace Platform.Api.Features.Platforms.DisconnectPlatform;

public sealed class Validator : Validator<Request>
{
    public Validator()
    {
        RuleFor(r => r.Content)
            .Must(c => c is null or "keep" or "unpublish")
            .WithMessage("content must be 'keep' or 'unpublish'");
    }
}
