namespace LoraDsl.Data.Chat;

/// <summary>The end of turn a chat model must learn is unusable (missing, several tokens); the message names the token.</summary>
public sealed class EndOfTurnException : Exception
{
    public EndOfTurnException(string message) : base(message) { }
}
