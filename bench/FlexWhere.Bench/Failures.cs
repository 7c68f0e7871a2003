using System.Globalization;
using System.Net;
using System.Text.Json;

namespace FlexWhere.Bench;

/// <summary>An operation got an answer other than the one it expected; <see cref="Exception.Message"/> is the
/// short reason the table shows ("login: 429 rate_limited"), so that equal failures count together.</summary>
public sealed class OperationFailedException(string reason) : Exception(reason);

/// <summary>
/// The failures of a load run or a scenario: how many, and each distinct reason with its count in the
/// order first seen. Only the first <see cref="DistinctKept"/> reasons are kept apart (a reason that
/// carried a varying text must not grow the table without end); later ones count as "other".
/// </summary>
public sealed class FailureTally
{
    public const int DistinctKept = 16;
    public const string Other = "other";
    private readonly List<(string Reason, long Count)> _reasons = [];
    private readonly Lock _gate = new();

    public long Count
    {
        get
        {
            lock (_gate) return _reasons.Sum(r => r.Count);
        }
    }

    /// <summary>Each distinct reason and how often it occurred, first seen first.</summary>
    public IReadOnlyList<(string Reason, long Count)> Reasons
    {
        get
        {
            lock (_gate) return [.. _reasons];
        }
    }

    public void Add(string reason, long count = 1)
    {
        if (count <= 0) return;
        lock (_gate)
        {
            var at = _reasons.FindIndex(r => r.Reason == reason);
            if (at < 0 && _reasons.Count >= DistinctKept) at = _reasons.FindIndex(r => r.Reason == Other);
            if (at < 0) _reasons.Add((_reasons.Count >= DistinctKept ? Other : reason, count));
            else _reasons[at] = (_reasons[at].Reason, _reasons[at].Count + count);
        }
    }

    public void Add(FailureTally other)
    {
        foreach (var (reason, count) in other.Reasons) Add(reason, count);
    }

    /// <summary>The first <paramref name="first"/> distinct reasons with their counts, and how many more there were.</summary>
    public string Summary(int first = 3)
    {
        var reasons = Reasons;
        if (reasons.Count == 0) return "–";
        var shown = string.Join("; ", reasons.Take(first)
            .Select(r => $"{r.Reason} ×{r.Count.ToString("N0", CultureInfo.InvariantCulture)}"));
        return reasons.Count > first ? $"{shown}; {reasons.Count - first} more reason(s)" : shown;
    }
}

/// <summary>Failure reasons as the table shows them: the status and the problem's <c>code</c>, or what went wrong.</summary>
public static class FailureReason
{
    /// <summary>True for a 2xx answer; otherwise throws <see cref="OperationFailedException"/> with the status and
    /// the problem's code, prefixed with <paramref name="step"/> when the operation has several.</summary>
    public static async Task<bool> ExpectSuccessAsync(HttpResponseMessage response, string? step = null)
    {
        if (response.IsSuccessStatusCode) return true;
        var reason = Of(response.StatusCode, await response.Content.ReadAsStringAsync());
        throw new OperationFailedException(step is null ? reason : $"{step}: {reason}");
    }

    /// <summary>"429 rate_limited" for a problem answer (docs/problems.md), "502" for any other body.</summary>
    public static string Of(HttpStatusCode status, string body)
    {
        var code = ProblemCode(body);
        return code is null ? ((int)status).ToString(CultureInfo.InvariantCulture) : $"{(int)status} {code}";
    }

    /// <summary>Exceptions the load generator counts as a failed operation, by kind (a timeout is a timeout,
    /// whatever its message).</summary>
    public static string Of(Exception exception) => exception switch
    {
        OperationFailedException failed => failed.Message,
        TaskCanceledException or TimeoutException => "timeout",
        HttpRequestException http => $"connection: {http.HttpRequestError}",
        _ => exception.GetType().Name,
    };

    private static string? ProblemCode(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("code", out var code)
                && code.ValueKind == JsonValueKind.String ? code.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
