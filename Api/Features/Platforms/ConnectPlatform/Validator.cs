using FastEndpoints;
using FluentValidation;
using Platform.Core.Ingestion;

namespace Platform.Api.Features.Platforms.ConnectPlatform;

public sealed class Validator : Validator<Request>
{
    public Validator()
    {
        RuleFor(r => r.Platform)
            .Must(p => p is "youtube" or "feed")
            .WithMessage("platform must be 'youtube' or 'feed'");
        RuleFor(r => r.Channel)
            .Must(c => ChannelReference.TryParse(c, out _))
            .When(r => r.Platform == "youtube")
            .WithMessage("channel must be a YouTube channel id (UC…), an @handle or a channel URL");
        RuleFor(r => r.Url)
            .Must(u => FeedAddress.TryNormalize(u, out _))
            .When(r => r.Platform == "feed")
            .WithMessage("url must be an absolute http(s) URL of an RSS or Atom feed");
    }
}
