namespace LoraDsl.TrainableTokens;

/// <summary>One token whose embedding row trains: by id, or by its text, resolved with the model's tokenizer at run time.</summary>
public readonly record struct TrainableToken
{
    TrainableToken(int? id, string? text) => (Id, Text) = (id, text);

    /// <summary>The vocabulary id; null when the token is named by <see cref="Text"/>.</summary>
    public int? Id { get; }

    /// <summary>The token's text ("&lt;|im_end|&gt;"), which must be one token of the vocabulary; null when named by <see cref="Id"/>.</summary>
    public string? Text { get; }

    public static TrainableToken OfId(int id) => new(id, null);

    public static TrainableToken OfText(string text) =>
        new(null, string.IsNullOrEmpty(text) ? throw new ArgumentException("A trainable token's text must not be empty.", nameof(text)) : text);

    public override string ToString() => Id is { } id ? id.ToString(System.Globalization.CultureInfo.InvariantCulture) : Text!;
}
