using Platform.Api.Features.Discovery.GetCreator;
using Platform.Api.Features.Discovery.Shared;

namespace Platform.Api.Features.Seo.CreatorPage;

/// <summary>What <c>/@{username}</c> shows: the profile and one page of their content (paths site-relative).</summary>
public sealed record CreatorPageModel(
    string BaseUrl, Profile Creator, IReadOnlyList<ContentCard> Items, string BasePath, string SelfPath, string? Prev, string? Next);
