using Platform.Api.Features.Account.DeleteAccount;

namespace Platform.Api.Features.Account;

public static class AccountServiceExtensions
{
    /// <summary>Services of <c>/api/me</c> (profile, deletion, export).</summary>
    public static WebApplicationBuilder AddAccounts(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<AccountEraser>();
        return builder;
    }
}
