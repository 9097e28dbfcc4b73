using TorchSharp;
using static TorchSharp.torch;

namespace LoraDsl.Lora;

/// <summary>
/// A frozen Linear or Conv1D plus named LoRA adapters: y = W₀x + b + Σ over active adapters of
/// their variant's output (s·B(A(dropout(x))) for plain LoRA), added to the adapter's output rows.
/// State-dict layout: <c>base_layer.weight</c>, <c>lora.&lt;adapter&gt;.lora_A</c>, <c>lora.&lt;adapter&gt;.lora_B</c>.
/// </summary>
public sealed class LoraLinear : nn.Module<Tensor, Tensor>
{
    /// <param name="baseLayer">The module to wrap.</param>
    /// <param name="path">Its path in the model, for error messages.</param>
    public LoraLinear(nn.Module<Tensor, Tensor> baseLayer, string path) : base("LoraLinear")
    {
        Path = path;
        Base = LoraBaseLayer.Of(baseLayer, path);
        base_layer = baseLayer;
        lora = new AdapterSet();
        RegisterComponents();
    }

    /// <summary>The wrapped module's path in the model ("model.layers.0.self_attn.q_proj").</summary>
    public string Path { get; }

    public LoraBaseLayer Base { get; private set; }

    public IReadOnlyDictionary<string, LoraAdapter> Adapters => lora.Adapters;

    /// <summary>Adapters that forward adds, in order; "default" after the first <see cref="AddAdapter"/>.</summary>
    public IReadOnlyList<string> ActiveAdapters => active;

    /// <summary>Adapters currently folded into the base weight, in merge order.</summary>
    public IReadOnlyList<string> MergedAdapters => merged;

    public bool IsMerged => merged.Count > 0;

    /// <summary>When false, forward is the base layer's own W₀x + b (PEFT's disable_adapter), merged adapters taken out.</summary>
    public bool AdaptersEnabled { get; set; } = true;

    readonly nn.Module<Tensor, Tensor> base_layer;
    readonly AdapterSet lora;
    readonly List<string> active = [];
    readonly List<string> merged = [];

    /// <summary>
    /// Adds an adapter on the output ranges <paramref name="rows"/> (null or empty = every row), checked against this
    /// module as <see cref="OutputRows"/>; the first adapter added becomes active.
    /// </summary>
    public LoraAdapter AddAdapter(string name, LoraOptions options, IReadOnlyList<OutputSlice>? rows = null, ILoraVariant? variant = null)
    {
        if (lora.Adapters.ContainsKey(name))
            throw new ArgumentException($"Module '{Path}' already has an adapter named '{name}'.");
        EmbeddingLora.Check(Base, options, rows is { Count: > 0 }, Path, variant);
        variant ??= Base.TakesTokenIds ? EmbeddingLora.Instance : options.UseDora ? DoraVariant.Instance : StandardLora.Instance;
        var adapter = new LoraAdapter(name, Base, options, rows is { Count: > 0 } ? OutputRows.Of(rows, Base.OutFeatures, Path) : null, variant);
        lora.Add(name, adapter);
        if (active.Count == 0) active.Add(name);
        return adapter;
    }

    /// <summary>Chooses which adapters forward applies (several are summed).</summary>
    public void SetActiveAdapters(params string[] names)
    {
        foreach (var name in names)
            if (!lora.Adapters.ContainsKey(name))
                throw new ArgumentException($"Module '{Path}' has no adapter named '{name}' (has: {string.Join(", ", lora.Adapters.Keys)}).");
        active.Clear();
        active.AddRange(names);
    }

    /// <summary>
    /// Mixed batch (PEFT's <c>adapter_names</c>): one entry per batch row naming the adapter that row uses,
    /// or null for the base alone. A name this layer does not have means the base for that row here.
    /// Null (the default) = every row uses <see cref="ActiveAdapters"/>. Ignored while adapters are disabled.
    /// </summary>
    public IReadOnlyList<string?>? RowAdapterNames { get; set; }

    /// <summary>
    /// y = W₀x + b + Σ over the adapters in effect (active ones, none when disabled) of their output, whatever
    /// is merged: merged adapters in effect ride on the weight, unmerged ones in effect are added, merged ones
    /// not in effect are subtracted on the fly (exact for additive variants such as plain LoRA). When a
    /// non-additive variant (DoRA) would make that inexact, the layer unmerges for good first.
    /// </summary>
    public override Tensor forward(Tensor x)
    {
        // Each group of rows and the adapters it wants; one group (all rows) unless this is a mixed batch.
        var groups = AdaptersEnabled && RowAdapterNames is { } rows ? RowGroups(x, rows)
            : [(Wanted: AdaptersEnabled ? (IReadOnlyList<string>)[.. active] : [], Rows: null)];
        if (groups.Any(g => !SameSet(merged, g.Wanted) && !CorrectableOnTheFly(g.Wanted))) Unmerge();
        // Rows whose wanted adapters are exactly the merged ones take the base output as it is.
        groups.RemoveAll(g => SameSet(merged, g.Wanted));
        var result = base_layer.call(x);
        if (groups.Count == 0) return result;
        Tensor output;
        using (NewDisposeScope())
        {
            // Token ids (an embedding base) stay integers.
            // Variants that can (plain LoRA) run in the base's dtype, their fp32 weights cast on the way in
            // as torch.autocast would; the others (DoRA's norms) run in fp32.
            var involved = groups.SelectMany(g => g.Wanted).Concat(merged);
            var lowPrecision = result.dtype != ScalarType.Float32 && involved.All(name => lora.Adapters[name].Variant.RunsInComputeDtype);
            var branchDtype = lowPrecision ? result.dtype : ScalarType.Float32;
            var input = x.dtype == branchDtype || !x.is_floating_point() ? x.alias() : x.to(branchDtype);
            var baseOutput = result.dtype == branchDtype ? result.alias() : result.to(branchDtype);
            var sum = baseOutput;
            foreach (var (wanted, indices) in groups)
            {
                if (indices is null)
                {
                    sum = Correct(input, baseOutput, wanted);
                    continue;
                }
                var index = tensor(indices, device: x.device);
                using var corrected = Correct(input.index_select(0, index), baseOutput.index_select(0, index), wanted);
                sum = sum.index_copy(0, index, corrected);
            }
            output = (sum.dtype == result.dtype ? sum : sum.to(result.dtype)).MoveToOuterDisposeScope();
        }
        result.Dispose();
        return output;
    }

    /// <summary>Batch rows grouped by the adapter they name (null or an adapter this layer lacks = the base).</summary>
    List<(IReadOnlyList<string> Wanted, long[]? Rows)> RowGroups(Tensor x, IReadOnlyList<string?> rows)
    {
        if (x.shape[0] != rows.Count)
            throw new ArgumentException($"Module '{Path}': the batch has {x.shape[0]} rows but {rows.Count} row adapter names were given.");
        return [.. rows.Select((name, row) => (Name: name is not null && lora.Adapters.ContainsKey(name) ? name : null, Row: (long)row))
            .GroupBy(r => r.Name)
            .Select(g => (Wanted: g.Key is { } n ? (IReadOnlyList<string>)[n] : [], Rows: (long[]?)[.. g.Select(r => r.Row)]))];
    }

    /// <summary>
    /// <paramref name="baseOutput"/> (fp32 or the compute dtype, made with the current weight) plus the unmerged adapters of
    /// <paramref name="wanted"/>, minus the merged adapters not in it.
    /// </summary>
    Tensor Correct(Tensor input, Tensor baseOutput, IReadOnlyList<string> wanted)
    {
        var sum = baseOutput;
        foreach (var name in wanted)
        {
            if (merged.Contains(name)) continue;
            var adapter = lora.Adapters[name];
            sum = adapter.Variant.AddTo(sum, adapter, Base, input, baseOutput);
        }
        foreach (var name in merged)
        {
            if (wanted.Contains(name)) continue;
            // An additive merge added exactly s·BA to the weight: take s·B(Ax) back out, no dropout.
            var adapter = lora.Adapters[name];
            using var product = adapter.Product(input);
            using var padded = adapter.PadOutputs(product);
            sum = sum - padded * adapter.Scaling;
        }
        return sum;
    }

    /// <summary>
    /// True when the merged weight can serve <paramref name="wanted"/> by adding and subtracting adapter
    /// outputs exactly: nothing merged, or every adapter involved merges additively.
    /// </summary>
    bool CorrectableOnTheFly(IReadOnlyList<string> wanted) =>
        merged.Count == 0 || merged.Concat(wanted).All(name => lora.Adapters[name].Variant.MergesAdditively);

    static bool SameSet(IReadOnlyList<string> a, IReadOnlyList<string> b) => a.Count == b.Count && a.All(b.Contains);

    /// <summary>Views the wrapped module again after its parameters were replaced (e.g. converted to fp32 master weights).</summary>
    internal void RefreshBase() => Base = LoraBaseLayer.Of(base_layer, Path);

    /// <summary>Folds the given adapters (default: the active ones) into the base weight: W += s·BA.</summary>
    public void Merge(params string[] names)
    {
        if (names.Length == 0) names = [.. active];
        using var _ = no_grad();
        foreach (var name in names)
        {
            if (merged.Contains(name)) continue;
            var adapter = lora.Adapters.TryGetValue(name, out var a) ? a
                : throw new ArgumentException($"Module '{Path}' has no adapter named '{name}'.");
            using var weight = Base.WeightOutIn();
            using var updated = adapter.Variant.Merge(adapter, weight);
            Base.SetWeightOutIn(updated);
            merged.Add(name);
        }
    }

    /// <summary>Restores the base weight by undoing every merge, newest first.</summary>
    public void Unmerge()
    {
        using var _ = no_grad();
        for (int i = merged.Count - 1; i >= 0; i--)
        {
            var adapter = lora.Adapters[merged[i]];
            using var weight = Base.WeightOutIn();
            using var restored = adapter.Variant.Unmerge(adapter, weight);
            Base.SetWeightOutIn(restored);
        }
        merged.Clear();
    }

    /// <summary>
    /// Folds exactly the adapters in effect (the active ones; none when disabled) into the weight and returns
    /// the plain base module to put back in the model.
    /// </summary>
    public nn.Module<Tensor, Tensor> MergeAndUnwrap()
    {
        IReadOnlyList<string> inEffect = AdaptersEnabled ? active : [];
        if (!SameSet(merged, inEffect))
        {
            Unmerge();
            Merge([.. inEffect]);
        }
        return base_layer;
    }

    /// <summary>
    /// Removes an adapter and frees its tensors; a merged one is taken out of the weight first (the other
    /// merges stay). Returns true when no adapter is left, so the caller can put the base module back.
    /// </summary>
    public bool RemoveAdapter(string name)
    {
        var adapter = lora.Adapters.TryGetValue(name, out var a) ? a
            : throw new ArgumentException($"Module '{Path}' has no adapter named '{name}' (has: {string.Join(", ", lora.Adapters.Keys)}).");
        if (merged.Contains(name))
        {
            var keep = merged.Where(m => m != name).ToArray();
            Unmerge();
            Merge(keep);
        }
        active.Remove(name);
        lora.Remove(name);
        adapter.Dispose();
        return lora.Adapters.Count == 0;
    }

    // Registers adapters as children under their names, so state-dict keys read lora.<name>.lora_A.
    sealed class AdapterSet() : nn.Module("lora")
    {
        readonly Dictionary<string, LoraAdapter> adapters = [];

        public IReadOnlyDictionary<string, LoraAdapter> Adapters => adapters;

        public void Add(string name, LoraAdapter adapter)
        {
            register_module(name, adapter);
            adapters.Add(name, adapter);
        }

        public void Remove(string name)
        {
            // register_module with null unregisters the child (TorchSharp 0.107).
            register_module(name, null!);
            adapters.Remove(name);
        }
    }
}
