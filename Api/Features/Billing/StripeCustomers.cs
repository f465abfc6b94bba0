using Npgsql;
using Platform.Core.Billing;
using Stripe;

namespace Platform.Api.Features.Billing;

/// <summary>
/// The user's Stripe customer: created once and reused. The subscription row is locked while the customer is created
/// (concurrent checkouts of one user wait for the first), and the create call carries an idempotency key derived from
/// the user id, so even a crash between Stripe's answer and our commit cannot make a second customer.
/// </summary>
public sealed class StripeCustomers(NpgsqlDataSource dataSource, StripeGateway stripe)
{
    public static string IdempotencyKey(Guid userId) => $"platform-customer-{userId:N}";

    public async Task<string> GetOrCreateAsync(Guid userId, string? email, CancellationToken cancellationToken)
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

            if (existing is string customerId)
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
            new RequestOptions { IdempotencyKey = IdempotencyKey(userId) },
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
            Message = "Stripe customer created for checkout",
            Details = new { customer_id = customer.Id },
        }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return customer.Id;
    }
}
