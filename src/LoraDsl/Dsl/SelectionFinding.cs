// Linked into generators/LoraDsl.Generators: one finding of the selection checks, for a diagnostic or a run-time error.
namespace LoraDsl.Dsl;

/// <summary>
/// A problem <see cref="ModuleSelectionRules"/> found in PEFT's selection options: which rule, the entry it is about
/// (a regex, a pattern key, a layer index, an exclude entry), whether it is an error, and the message (DslMessages' text).
/// </summary>
internal sealed class SelectionFinding
{
    public SelectionFinding(SelectionProblem problem, string subject, string message)
    {
        Problem = problem;
        Subject = subject;
        Message = message;
    }

    public SelectionProblem Problem { get; }

    /// <summary>The entry as written: the regex, the rank/alpha pattern key, the layer index or the exclude entry.</summary>
    public string Subject { get; }

    public string Message { get; }

    /// <summary>Only an exclude entry that matches nothing is a warning; it changes nothing.</summary>
    public bool IsError => Problem != SelectionProblem.ExcludeMatchesNothing;
}
