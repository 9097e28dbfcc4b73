using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraDsl.TrainableTokens;

/// <summary>
/// PEFT's TrainableTokensLayer: an embedding (or the head tied to it) whose selected rows are replaced by a trained table
/// <c>trainable_tokens_delta</c> [n, dim] (fp32, initialised to the rows themselves, so untrained it changes nothing); the rest of
/// the table stays frozen. PEFT's "delta" holds the new rows, not a difference. A tied layer (the head) owns nothing: it reads
/// the rows of the embedding's layer, so both see the same values.
/// </summary>
sealed class TrainableTokensLayer : nn.Module<Tensor, Tensor>
{
    readonly nn.Module<Tensor, Tensor> base_layer;
    readonly Parameter? trainable_tokens_delta;
    // Held outside Module/Tensor fields, which TorchSharp would register as a child module or buffer (PEFT keeps its tied adapter in a list for the same reason).
    readonly Link links;
    readonly long[] indices;

    sealed class Link(TrainableTokensLayer? tiedTo)
    {
        public TrainableTokensLayer? TiedTo { get; } = tiedTo;

        // vocabulary id → row of the delta, or -1: one gather finds the replaced positions of a batch of ids.
        public Tensor? Slots { get; set; }

        public Tensor? Index { get; set; }
    }

    TrainableTokensLayer(string path, nn.Module<Tensor, Tensor> baseLayer, IReadOnlyList<int> tokenIndices, TrainableTokensLayer? tiedTo)
        : base(nameof(TrainableTokensLayer))
    {
        Path = path;
        base_layer = baseLayer;
        links = new Link(tiedTo);
        TokenIndices = tokenIndices;
        indices = [.. tokenIndices.Select(i => (long)i)];
        var weight = Weight;
        if (weight.dim() != 2) throw new ArgumentException($"Module '{path}' has a {weight.dim()}-dimensional weight; trainable tokens need a [vocabulary, width] table.");
        foreach (var id in tokenIndices)
            if (id < 0 || id >= weight.shape[0])
                throw new ArgumentException($"Trainable token id {id} is outside module '{path}''s {weight.shape[0]} rows.");
        register_module("base_layer", baseLayer);
        if (tiedTo is null)
        {
            using var _ = no_grad();
            using var index = tensor(indices, device: weight.device);
            using var rows = weight.index_select(0, index);
            trainable_tokens_delta = new Parameter(rows.to(ScalarType.Float32).clone(), requires_grad: true);
            register_parameter("trainable_tokens_delta", trainable_tokens_delta);
        }
        else if (!tiedTo.TokenIndices.SequenceEqual(tokenIndices) || tiedTo.Delta.shape[1] != weight.shape[1])
            throw new ArgumentException($"Module '{path}' is tied to '{tiedTo.Path}' but its tokens or width differ.");
    }

    /// <summary>A layer that trains <paramref name="tokenIndices"/> of <paramref name="baseLayer"/> (an Embedding or a Linear head).</summary>
    public static TrainableTokensLayer Own(string path, nn.Module<Tensor, Tensor> baseLayer, IReadOnlyList<int> tokenIndices) =>
        new(path, Checked(path, baseLayer), tokenIndices, null);

    /// <summary>A layer on the module whose weight is <paramref name="source"/>'s (a tied head): it uses <paramref name="source"/>'s rows.</summary>
    public static TrainableTokensLayer Tied(string path, nn.Module<Tensor, Tensor> baseLayer, TrainableTokensLayer source) =>
        new(path, Checked(path, baseLayer), source.TokenIndices, source);

    static nn.Module<Tensor, Tensor> Checked(string path, nn.Module<Tensor, Tensor> module) => module is Embedding or Linear ? module
        : throw new ArgumentException($"Module '{path}' is a {module.GetType().Name}; trainable tokens wrap an Embedding or a Linear head (PEFT's TrainableTokensLayer), not a module already wrapped by an adapter.");

    /// <summary>The module path ("model.embed_tokens").</summary>
    public string Path { get; }

    /// <summary>The vocabulary ids whose rows train, in the order of the delta's rows.</summary>
    public IReadOnlyList<int> TokenIndices { get; }

    /// <summary>The layer whose rows this one uses (a tied head), or null when it owns them.</summary>
    public TrainableTokensLayer? TiedTo => links.TiedTo;

    /// <summary>The trained rows [n, dim] in fp32 (the tied source's for a tied layer).</summary>
    public Parameter Delta => trainable_tokens_delta ?? links.TiedTo!.Delta;

    public nn.Module<Tensor, Tensor> Base => base_layer;

    /// <summary>The wrapped table: the embedding's [vocabulary, dim] or the head's [vocabulary, in].</summary>
    public Parameter Weight => base_layer switch
    {
        Embedding e => e.weight!,
        Linear l => l.weight!,
        _ => throw new InvalidOperationException($"Module '{Path}' wraps a {base_layer.GetType().Name}."),
    };

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var output = base_layer.call(input);
        var delta = Delta;
        Tensor result;
        if (base_layer is Embedding)
        {
            // Positions holding a trained id take its row of the delta; the others keep the frozen lookup.
            var slot = Slots(delta.device).index_select(0, input.flatten()).view(input.shape);
            var rows = delta.index_select(0, slot.clamp_min(0).flatten()).view([.. input.shape, delta.shape[1]]).to(output.dtype);
            result = where(slot.ge(0).unsqueeze(-1), rows, output);
        }
        else
        {
            // A head's logits for the trained ids come from their trained rows: the columns index_copy puts back.
            var own = nn.functional.linear(input, delta.to(input.dtype));
            result = output.index_copy(output.dim() - 1, Indices(delta.device), own.to(output.dtype));
        }
        return result.MoveToOuterDisposeScope();
    }

    Tensor Slots(Device device)
    {
        if (links.Slots is null || links.Slots.device != device)
        {
            links.Slots?.Dispose();
            var table = full([Weight.shape[0]], -1L, ScalarType.Int64, device);
            using var index = tensor(indices, device: device);
            using var positions = arange(indices.Length, ScalarType.Int64, device);
            table.index_copy_(0, index, positions);
            links.Slots = table.DetachFromDisposeScope();
        }
        return links.Slots;
    }

    Tensor Indices(Device device)
    {
        if (links.Index is null || links.Index.device != device)
        {
            links.Index?.Dispose();
            links.Index = tensor(indices, device: device).DetachFromDisposeScope();
        }
        return links.Index;
    }

    /// <summary>Writes the trained rows into the base table (PEFT's merge: index_copy) and returns the base module.</summary>
    public nn.Module<Tensor, Tensor> MergeAndUnwrap()
    {
        using var _ = no_grad();
        var weight = Weight;
        using var index = tensor(indices, device: weight.device);
        using var rows = Delta.detach().to(weight.dtype, weight.device);
        weight.index_copy_(0, index, rows);
        return base_layer;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            links.Slots?.Dispose();
            links.Index?.Dispose();
        }
        base.Dispose(disposing);
    }
}
