using System.Diagnostics;
using System.Runtime.InteropServices;
using LoraDsl.Native;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraDsl.Distributed;

/// <summary>
/// The trainable gradients of one optimizer step under data parallelism. Each micro-batch's gradient is taken out of
/// the parameters into one flat fp32 vector, the micro-batches of this process are summed in <see cref="MidpointTree"/>
/// order, and <see cref="Reduce"/> sums the processes' vectors with ONE allreduce (through host memory on a GPU) and
/// puts the result back into the parameters' <c>.grad</c>, identical on every process.
/// </summary>
public sealed class StepGradients
{
    readonly IReadOnlyList<Parameter> parameters;
    readonly long[] sizes;
    Tensor? sum;
    double loss;

    public StepGradients(IReadOnlyList<Parameter> parameters, ProcessGroup group)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        this.parameters = parameters;
        Group = group;
        sizes = [.. parameters.Select(p => p.numel())];
        Elements = sizes.Sum();
        if (group.IsDistributed && Elements > int.MaxValue)
            throw new MpiException($"{Elements} trainable values do not fit one MPI_Allreduce (at most {int.MaxValue}).");
    }

    public ProcessGroup Group { get; }

    /// <summary>Trainable values reduced each step (the flat vector's length).</summary>
    public long Elements { get; }

    /// <summary>Bytes one process sends to the allreduce each step (fp32).</summary>
    public long BytesPerStep => Elements * sizeof(float);

    /// <summary>Seconds the last <see cref="Reduce"/> spent in MPI (0 in one process).</summary>
    public double LastReduceSeconds { get; private set; }

    /// <summary>Seconds all <see cref="Reduce"/> calls spent in MPI so far.</summary>
    public double TotalReduceSeconds { get; private set; }

    /// <summary>
    /// Runs this process's micro-batches of the step: <paramref name="microBatch"/> gets the global micro-batch index,
    /// runs forward and backward, and returns the micro-batch's summed loss. Gradients and losses are summed in
    /// <see cref="MidpointTree"/> order; call <see cref="Reduce"/> next.
    /// </summary>
    public void Accumulate(MicroBatchShard shard, Func<int, double> microBatch)
    {
        ArgumentNullException.ThrowIfNull(microBatch);
        sum?.Dispose();
        if (shard.Count == 0)
        {
            // A process with no micro-batch left in a short last step adds zeros.
            sum = torch.zeros(Elements, dtype: ScalarType.Float32, device: parameters[0].device);
            loss = 0;
            return;
        }
        var (gradient, summedLoss) = MidpointTree.Sum(shard.Start, shard.Count, index =>
        {
            var microLoss = microBatch(index);
            return (Gradient: TakeGradients(), Loss: microLoss);
        }, (left, right) =>
        {
            // add_ hands back the tensor it changed (TorchSharp 0.107): dispose only a distinct handle.
            var sum = left.Gradient.add_(right.Gradient);
            if (!ReferenceEquals(sum, left.Gradient)) sum.Dispose();
            right.Gradient.Dispose();
            return (left.Gradient, left.Loss + right.Loss);
        });
        sum = gradient.DetachFromDisposeScope();
        loss = summedLoss;
    }

    /// <summary>
    /// The data-parallel reduction: one allreduce of the step's flat gradient vector and one of its summed loss and
    /// <paramref name="tokens"/> over the processes; the gradient sums go back into each parameter's <c>.grad</c>.
    /// Returns the step's loss and tokens summed over all processes.
    /// </summary>
    public (double Loss, int Tokens) Reduce(int tokens = 0)
    {
        var flat = sum ?? throw new InvalidOperationException("Reduce before Accumulate: no micro-batch gradients to reduce.");
        sum = null;
        try
        {
            var clock = Stopwatch.StartNew();
            if (Group.IsDistributed)
            {
                using var host = flat.device_type == DeviceType.CPU ? flat.alias() : flat.cpu();
                Group.SumInPlace(MemoryMarshal.Cast<byte, float>(HostMemory.Bytes(host)), "the step's gradients");
                if (flat.device_type != DeviceType.CPU) flat.copy_(host);
                // Token counts are exact in a double far past any step's size.
                Span<double> total = [loss, tokens];
                Group.SumInPlace(total, "the step's loss and tokens");
                (loss, tokens) = (total[0], checked((int)total[1]));
            }
            LastReduceSeconds = Group.IsDistributed ? clock.Elapsed.TotalSeconds : 0;
            TotalReduceSeconds += LastReduceSeconds;
            WriteGradients(flat);
            return (loss, tokens);
        }
        finally
        {
            flat.Dispose();
        }
    }

    // The micro-batch's gradients as one fp32 vector; the parameters' .grad are zeroed for the next micro-batch.
    Tensor TakeGradients()
    {
        using var scope = torch.NewDisposeScope();
        var parts = new Tensor[parameters.Count];
        for (var i = 0; i < parameters.Count; i++)
        {
            var grad = parameters[i].grad;
            parts[i] = grad is null
                ? torch.zeros(sizes[i], dtype: ScalarType.Float32, device: parameters[i].device)
                : grad.reshape(-1).to(ScalarType.Float32);
        }
        // TorchSharp's cat hands back a lone tensor itself (a view of .grad here): copy it.
        var flat = parts.Length == 1 ? parts[0].clone() : torch.cat(parts, 0);
        foreach (var p in parameters)
        {
            using var grad = p.grad;
            grad?.zero_();
        }
        return flat.MoveToOuterDisposeScope();
    }

    void WriteGradients(Tensor flat)
    {
        long offset = 0;
        for (var i = 0; i < parameters.Count; i++)
        {
            using var grad = parameters[i].grad;
            using var part = flat.narrow(0, offset, sizes[i]);
            offset += sizes[i];
            if (grad is null)
            {
                // A parameter no micro-batch reached has no .grad to fill; it must then be zero on every process.
                using var any = part.abs().max();
                if (HostMemory.Item<float>(any) != 0)
                    throw new InvalidOperationException($"Trainable parameter {i} has no gradient on {Group.Describe(Group.Rank)} but another process's is non-zero.");
                continue;
            }
            using var shaped = part.view(grad.shape);
            grad.copy_(shaped);
        }
    }
}
