using Npgsql;
using Platform.Core.Billing;
using Stripe;

namespace Platform.Api.Features.Billing;

/// <summary>
/// The user's Stripe customer: created once and reused. The subscription row is locked while the customer is created
/// (concurrent checkouts of one user wait for the first), and the create call carries an idempotency key derived from
/// the user id, so even a crash between Stripe's answer and our commit cannot make a second customer. A customer that
/// Stripe no longer has (deleted in the dashboard) is replaced once, at the next checkout.
/// </summary>
public sealed class StripeCustomers(NpgsqlDataSource dataSource, StripeGateway stripe)
{
    public static string IdempotencyKey(Guid userId) => $"platform-customer-{userId:N}";

    /// <summary>
    /// Whether Stripe refused a request because the customer it names does not exist (<c>resource_missing</c> on the
    /// <c>customer</c> parameter, or a 404 for the customer itself).
    /// </summary>
    public static bool IsMissingCustomer(StripeException error) =>
        error.StripeError?.Code == "resource_missing"
        && (error.StripeError.Param == "customer" || (error.HttpStatusCode == System.Net.HttpStatusCode.NotFound
                                                      && error.StripeError.Message?.Contains("customer", StringComparison.OrdinalIgnoreCase) == true));

    public Task<string> GetOrCreateAsync(Guid userId, string? email, CancellationToken cancellationToken) =>
        LinkAsync(userId, email, replacing: null, cancellationToken);

    /// <summary>
    /// Replaces <paramref name="missingCustomerId"/>, which Stripe no longer has, by a new customer (once: a concurrent
    /// caller that already replaced it gets the replacement). The create call's idempotency key names the missing one.
    /// </summary>
    public Task<string> ReplaceMissingAsync(Guid userId, string missingCustomerId, string? email, CancellationToken cancellationToken) =>
        LinkAsync(userId, email, missingCustomerId, cancellationToken);

    private async Task<string> LinkAsync(Guid userId, string? email, string? replacing, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var select = new NpgsqlCommand(
            "SELECT stripe_customer_id FROM subscription WHERE user_id = @user FOR UPDATE", connection, transaction))
        {
            select.Parameters.AddWithValue("user", userId);
            var existing = await select.ExecuteScalarAsync(cancellationToken);
            if (existing is null)
            {
                throw new InvalidOperationException($"User {userId} has no subscription row (ensure_user did not run).");
            }

            if (existing is string customerId && customerId != replacing)
            {
                await transaction.CommitAsync(cancellationToken);
                return customerId;
            }
        }

        var customer = await new CustomerService(stripe.Client).CreateAsync(
            new CustomerCreateOptions
            {
                Email = email,
                Metadata = new Dictionary<string, string> { ["user_id"] = userId.ToString() },
            },
            new RequestOptions { IdempotencyKey = replacing is null ? IdempotencyKey(userId) : $"{IdempotencyKey(userId)}-replacing-{replacing}" },
            cancellationToken);

        await using (var update = new NpgsqlCommand(
            "UPDATE subscription SET stripe_customer_id = @customer WHERE user_id = @user", connection, transaction))
        {
            update.Parameters.AddWithValue("customer", customer.Id);
            update.Parameters.AddWithValue("user", userId);
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        await BillingAudit.AppendAsync(connection, transaction, new BillingAuditEntry(BillingAudit.CustomerLinked, $"user:{userId}")
        {
            UserId = userId,
            Message = replacing is null
                ? "Stripe customer created for checkout"
                : $"Stripe customer {replacing} no longer exists at Stripe; a new one was created for checkout",
            Details = new { customer_id = customer.Id, replaced_customer_id = replacing },
        }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return customer.Id;
    }
}
