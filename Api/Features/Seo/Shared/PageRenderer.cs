using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Platform.Api.Caching;

namespace Platform.Api.Features.Seo.Shared;

/// <summary>
/// Renders a page component (Razor, server-side, no interactivity) to an HTML string with ASP.NET Core's
/// <see cref="HtmlRenderer"/>, so the result can be cached as bytes like the JSON API's responses. Razor encodes
/// every value it writes into text and attributes.
/// </summary>
public sealed class PageRenderer(IServiceProvider services, ILoggerFactory loggerFactory)
{
    public async Task<string> RenderAsync<TPage>(IDictionary<string, object?> parameters) where TPage : IComponent
    {
        await using var renderer = new HtmlRenderer(services, loggerFactory);
        return await renderer.Dispatcher.InvokeAsync(async () =>
        {
            var output = await renderer.RenderComponentAsync<TPage>(ParameterView.FromDictionary(parameters));
            return output.ToHtmlString();
        });
    }

    /// <summary>Renders <typeparamref name="TPage"/> with one parameter, <c>Model</c>, as a cacheable 200 response.</summary>
    public async Task<CachedResponse> RenderResponseAsync<TPage>(object model) where TPage : IComponent =>
        SeoContext.HtmlResponse(await RenderAsync<TPage>(new Dictionary<string, object?> { ["Model"] = model }));
}
