using System.Text;
using LoraDsl.Data;

namespace LoraDsl.Tests.Data.Chat;

/// <summary>UTF-8 bytes shifted by 3 (0 pad, 1 bos, 2 eos) plus whole special tokens from 259 on: &lt;|im_start|&gt; 259, &lt;|im_end|&gt; 260, &lt;|endoftext|&gt; 261, Llama 3's and Gemma's after.</summary>
public sealed class SpecialByteTokenizer(int padId = 261, int eosId = 260) : ITextTokenizer
{
    public static readonly string[] Specials =
    [
        "<|im_start|>", "<|im_end|>", "<|endoftext|>",
        "<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>", "<start_of_turn>", "<end_of_turn>", "<bos>",
    ];

    public IReadOnlyList<int> Encode(string text)
    {
        var ids = new List<int>();
        var at = 0;
        while (at < text.Length)
        {
            int index = text.Length, special = -1;
            for (var i = 0; i < Specials.Length; i++)
                if (text.IndexOf(Specials[i], at, StringComparison.Ordinal) is var found and >= 0 && found < index) (index, special) = (found, i);
            ids.AddRange(Encoding.UTF8.GetBytes(text[at..index]).Select(b => b + 3));
            if (special < 0) break;
            ids.Add(259 + special);
            at = index + Specials[special].Length;
        }
        return ids;
    }

    public string Decode(IEnumerable<int> ids)
    {
        var text = new StringBuilder();
        var bytes = new List<byte>();
        foreach (var id in ids)
        {
            if (id >= 259) { text.Append(Encoding.UTF8.GetString([.. bytes])).Append(Specials[id - 259]); bytes.Clear(); }
            else if (id >= 3) bytes.Add((byte)(id - 3));
        }
        return text.Append(Encoding.UTF8.GetString([.. bytes])).ToString();
    }

    public int? BosId => null;
    public int? EosId => eosId;
    public int PadId => padId;
}
