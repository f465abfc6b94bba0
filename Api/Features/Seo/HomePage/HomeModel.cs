using Platform.Api.Features.Discovery.ListCategories;
using Platform.Api.Features.Discovery.ListFeaturedCreators;
using Platform.Api.Features.Discovery.Shared;

namespace Platform.Api.Features.Seo.HomePage;

public sealed record HomeModel(
    string BaseUrl,
    IReadOnlyList<ContentCard> Trending,
    IReadOnlyList<FeaturedCreator> Featured,
    IReadOnlyList<CategoryItem> Categories,
    IReadOnlyList<ContentCard> Newest);
