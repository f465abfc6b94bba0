namespace Platform.Api.Features.Discovery.ListCategories;

public sealed record Response(IReadOnlyList<CategoryItem> Items);

public sealed record CategoryItem(int Id, string Slug, string Name, string? Description, int SortOrder);
