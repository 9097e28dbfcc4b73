using TorchSharp;
using static TorchSharp.torch;

namespace LoraDsl.Modules;

/// <summary>
/// Gradient checkpointing of one segment (a decoder layer): forward runs it without keeping its
/// activations, backward runs it again with gradients on and differentiates that second run
/// (torch.utils.checkpoint's idea; TorchSharp has none). The CPU random state is saved before the
/// first run and restored for the second, so dropout draws the same masks. On CUDA, whose generator
/// state TorchSharp 0.107 cannot read, the device generators are seeded with one value drawn from the
/// CPU generator before the first run and seeded again with it before the second; the trainable parameters
/// inside the segment are inputs of the node, so their gradients reach them as without checkpointing.
/// </summary>
internal sealed class ActivationCheckpoint : autograd.MultiTensorFunction<ActivationCheckpoint>
{
    const string StateKey = "state";

    public override string Name => nameof(ActivationCheckpoint);

    /// <summary>
    /// <paramref name="segment"/>(input, context) through a checkpoint when gradients are on and
    /// something inside needs them; a plain call otherwise. <paramref name="context"/> holds the
    /// tensors the segment reads besides its input (masks, rotary tables; entries may be null); they
    /// are kept alive for the recomputation and get no gradient. <paramref name="owner"/> is the
    /// module whose trainable parameters the segment uses.
    /// </summary>
    public static Tensor Run(nn.Module owner, Func<Tensor, Tensor?[], Tensor> segment, Tensor input, params Tensor?[] context)
    {
        var trainable = owner.parameters().Where(p => p.requires_grad).Cast<Tensor>().ToArray();
        if (!is_grad_enabled() || (!input.requires_grad && trainable.Length == 0)) return segment(input, context);
        var state = new SegmentState(segment, context.Length, trainable, input.requires_grad);
        var args = new object?[1 + context.Length + trainable.Length + 1];
        args[0] = input;
        context.CopyTo(args, 1);
        trainable.CopyTo(args, 1 + context.Length);
        args[^1] = state;
        return apply(args!)[0];
    }

    public override List<Tensor> forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var state = (SegmentState)vars[^1];
        var input = (Tensor)vars[0];
        var context = Context(vars, state.ContextCount);
        state.RandomState = get_rng_state().DetachFromDisposeScope(); // outlives the forward's dispose scopes; disposed after backward
        if (DeviceRandomness.Value!.NeedsSeed(input.device))
        {
            using var draw = randint(long.MaxValue, [1], dtype: ScalarType.Int64);
            state.DeviceSeed = Native.HostMemory.Item<long>(draw);
            DeviceRandomness.Value!.Seed(state.DeviceSeed.Value);
        }
        ctx.save_data(StateKey, state);
        ctx.save_for_backward([input, .. context]);
        return [state.Segment(input, context)];
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, List<Tensor> grad_outputs)
    {
        var state = (SegmentState)ctx.get_data(StateKey);
        var gradients = new Tensor?[1 + state.ContextCount + state.Trainable.Length + 1];
        using (var scope = NewDisposeScope())
        {
            var saved = ctx.get_saved_variables();
            var input = saved[0];
            var context = saved.Skip(1).Take(state.ContextCount).Select(t => t is null || t.IsInvalid ? null : t).ToArray();
            using var afterForward = get_rng_state();
            Tensor output;
            Tensor replayInput;
            using (enable_grad())
            {
                set_rng_state(state.RandomState!);
                if (state.DeviceSeed is { } seed) DeviceRandomness.Value!.Seed(seed);
                replayInput = input.detach().requires_grad_(state.InputNeedsGrad);
                try { output = state.Segment(replayInput, context); }
                finally { set_rng_state(afterForward); }
            }
            var wrt = new List<Tensor>(state.Trainable.Length + 1);
            if (state.InputNeedsGrad) wrt.Add(replayInput);
            wrt.AddRange(state.Trainable);
            var found = autograd.grad([output], wrt, [grad_outputs[0]], allow_unused: true);
            var next = 0;
            if (state.InputNeedsGrad) gradients[0] = Defined(found[next++]);
            for (var i = 0; i < state.Trainable.Length; i++) gradients[1 + state.ContextCount + i] = Defined(found[next++]);
            foreach (var g in gradients) g?.MoveToOuterDisposeScope();
        }
        state.RandomState?.Dispose();
        state.RandomState = null;
        return [.. gradients.Select(g => g!)];
    }

    static Tensor? Defined(Tensor t) => t.IsInvalid ? null : t;

    static Tensor?[] Context(object[] vars, int count)
    {
        var context = new Tensor?[count];
        for (var i = 0; i < count; i++) context[i] = vars[1 + i] as Tensor;
        return context;
    }

    /// <summary>What backward needs besides the saved tensors; passed as the last, non-tensor argument.</summary>
    sealed class SegmentState(Func<Tensor, Tensor?[], Tensor> segment, int contextCount, Tensor[] trainable, bool inputNeedsGrad)
    {
        public Func<Tensor, Tensor?[], Tensor> Segment { get; } = segment;
        public int ContextCount { get; } = contextCount;
        public Tensor[] Trainable { get; } = trainable;
        public bool InputNeedsGrad { get; } = inputNeedsGrad;
        public Tensor? RandomState { get; set; }
        public long? DeviceSeed { get; set; }
    }

    /// <summary>Which devices get their generators seeded around a segment, and how; tests replace it to see the calls without a GPU.</summary>
    internal sealed record DeviceGenerators(Func<Device, bool> NeedsSeed, Action<long> Seed)
    {
        public static DeviceGenerators Cuda { get; } = new(d => d.type == DeviceType.CUDA, cuda.manual_seed_all);
    }

    /// <summary>The generators this thread's segments seed (<see cref="DeviceGenerators.Cuda"/> unless a test says otherwise).</summary>
    internal static readonly ThreadLocal<DeviceGenerators> DeviceRandomness = new(() => DeviceGenerators.Cuda);
}
