namespace FlexWhere.Accounts;

/// <summary>Refusals that many Accounts endpoints answer alike.</summary>
public static class AccountsRefusals
{
    public static ApiProblem NotFound(string what = "user") =>
        new(StatusCodes.Status404NotFound, ProblemCodes.NotFound, $"No such {what}.",
            $"There is no {what} with this id in your organisation.");

    public static ApiProblem ManagedByLinkedDatabase() =>
        new(StatusCodes.Status409Conflict, ProblemCodes.ManagedByLinkedDatabase, "Managed by your linked database.",
            "Your organisation's users and phone numbers come from its linked database: change them there; "
            + "the next import brings the change here.");
}
