using Platform.Api.Features.Discovery.ListCategories;
using Platform.Api.Features.Discovery.Shared;

namespace Platform.Api.Features.Seo.Shared;

/// <summary>What <see cref="ListingPage"/> shows; paths are site-relative, <see cref="BaseUrl"/> the public origin.</summary>
public sealed record ListingModel(
    string BaseUrl,
    string Title,
    string Description,
    string Heading,
    string? Intro,
    string BasePath,
    string SelfPath,
    string Sort,
    IReadOnlyList<ContentCard> Items,
    string? Prev,
    string? Next,
    IReadOnlyList<Crumb> Breadcrumbs,
    IReadOnlyList<CategoryItem> Categories);
