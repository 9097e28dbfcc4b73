using System.Text;
using LoraDsl.Data;

namespace LoraDsl.Tests.Data;

/// <summary>Test tokenizer: UTF-8 bytes shifted by 3; 0 pad, 1 bos, 2 eos. Vocabulary 259.</summary>
public sealed class ByteTokenizer(bool withBos = true, bool withEos = true) : ITextTokenizer
{
    public const int Vocabulary = 259;

    public IReadOnlyList<int> Encode(string text) => [.. Encoding.UTF8.GetBytes(text).Select(b => b + 3)];

    public string Decode(IEnumerable<int> ids) => Encoding.UTF8.GetString([.. ids.Where(i => i >= 3).Select(i => (byte)(i - 3))]);

    public int? BosId => withBos ? 1 : null;
    public int? EosId => withEos ? 2 : null;
    public int PadId => 0;
}
