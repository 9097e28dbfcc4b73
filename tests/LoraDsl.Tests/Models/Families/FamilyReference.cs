using LoraDsl.Tests.TestCheckpoints;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Models.Families;

/// <summary>
/// The logits of a <see cref="TinyFamily"/> checkpoint written as plain float64 math from its stored weights and the
/// families' published formulas (transformers' modeling_qwen3 / phi3 / gemma2 / gemma3), per position and head;
/// it calls none of the library's blocks.
/// </summary>
public static class FamilyReference
{
    public static Tensor Logits(TinyFamily s, long[] ids)
    {
        var w = s.Tensors().ToDictionary(kv => kv.Key, kv => kv.Value.to(ScalarType.Float64));
        var n = ids.Length;
        int d = s.HeadDim, rot = s.RotaryDim;
        var x = w["model.embed_tokens.weight"].index_select(0, tensor(ids));
        if (s.Gemma) x = x * Math.Sqrt(s.Hidden);
        for (var l = 0; l < s.Layers; l++)
        {
            var p = $"model.layers.{l}.";
            var h = Norm(s, x, w[p + "input_layernorm.weight"]);
            Tensor q, k, v;
            if (s.Fused)
            {
                var qkv = h.matmul(w[p + "self_attn.qkv_proj.weight"].T);
                q = qkv[.., ..(s.Heads * d)];
                k = qkv[.., (s.Heads * d)..((s.Heads + s.KvHeads) * d)];
                v = qkv[.., ((s.Heads + s.KvHeads) * d)..];
            }
            else
            {
                q = h.matmul(w[p + "self_attn.q_proj.weight"].T);
                k = h.matmul(w[p + "self_attn.k_proj.weight"].T);
                v = h.matmul(w[p + "self_attn.v_proj.weight"].T);
            }
            q = q.reshape(n, s.Heads, d);
            k = k.reshape(n, s.KvHeads, d);
            v = v.reshape(n, s.KvHeads, d);
            if (s.QkNorm)
            {
                q = Norm(s, q, w[p + "self_attn.q_norm.weight"]);
                k = Norm(s, k, w[p + "self_attn.k_norm.weight"]);
            }
            var sliding = s.SlidingLayers?[l] ?? false;
            q = Rotate(s, q, sliding);
            k = Rotate(s, k, sliding);
            var scale = s.Gemma ? Math.Pow(s.QueryPreAttnScalar, -0.5) : 1 / Math.Sqrt(d);
            var heads = new List<Tensor>();
            for (var head = 0; head < s.Heads; head++)
            {
                var group = head / (s.Heads / s.KvHeads);
                var rows = new List<Tensor>();
                for (var i = 0; i < n; i++)
                {
                    var scores = k[.., group, ..].matmul(q[i, head, ..]) * scale;
                    if (s.AttnSoftcap is { } c) scores = (scores / c).tanh() * c;
                    // Position i sees j ≤ i, and on a sliding layer only i − j < window.
                    var hidden = tensor(Enumerable.Range(0, n).Select(j => j > i || (sliding && i - j >= s.Window!.Value)).ToArray());
                    scores = scores.masked_fill(hidden, double.NegativeInfinity);
                    rows.Add(scores.softmax(0).matmul(v[.., group, ..]));
                }
                heads.Add(stack(rows));
            }
            var attended = cat(heads, -1).matmul(w[p + "self_attn.o_proj.weight"].T);
            if (s.Gemma)
            {
                x = x + Norm(s, attended, w[p + "post_attention_layernorm.weight"]);
                x = x + Norm(s, Mlp(s, w, p, Norm(s, x, w[p + "pre_feedforward_layernorm.weight"])), w[p + "post_feedforward_layernorm.weight"]);
            }
            else
            {
                x = x + attended;
                x = x + Mlp(s, w, p, Norm(s, x, w[p + "post_attention_layernorm.weight"]));
            }
        }
        x = Norm(s, x, w["model.norm.weight"]);
        var logits = x.matmul(w[s.Tied ? "model.embed_tokens.weight" : "lm_head.weight"].T);
        if (s.FinalSoftcap is { } f) logits = (logits / f).tanh() * f;
        return logits;
    }

    /// <summary>x / rms(x) scaled by w (LLaMA, Qwen3, Phi-3) or by 1 + w (Gemma).</summary>
    static Tensor Norm(TinyFamily s, Tensor x, Tensor w) =>
        x / (x.pow(2).mean([-1L], keepdim: true) + 1e-6).sqrt() * (s.Gemma ? w + 1 : w);

    static Tensor Mlp(TinyFamily s, Dictionary<string, Tensor> w, string p, Tensor h)
    {
        Tensor gate, up;
        if (s.Fused)
        {
            var both = h.matmul(w[p + "mlp.gate_up_proj.weight"].T);
            (gate, up) = (both[.., ..s.Intermediate], both[.., s.Intermediate..]);
        }
        else
        {
            (gate, up) = (h.matmul(w[p + "mlp.gate_proj.weight"].T), h.matmul(w[p + "mlp.up_proj.weight"].T));
        }
        var act = s.Gemma
            ? 0.5 * gate * (1 + (Math.Sqrt(2 / Math.PI) * (gate + 0.044715 * gate.pow(3))).tanh())
            : gate * gate.sigmoid();
        return (act * up).matmul(w[p + "mlp.down_proj.weight"].T);
    }

    /// <summary>
    /// Position p turns pair (t[i], t[i + rot/2]) of the first rot dimensions by p·f_i with f_i = base^(-2i/rot), divided by
    /// the linear factor (Gemma 3 global layers) or LongRoPE's short factor, and LongRoPE scales cos and sin by √(1 + ln s / ln orig).
    /// </summary>
    static Tensor Rotate(TinyFamily s, Tensor t, bool sliding)
    {
        var rot = s.RotaryDim;
        var local = sliding && s.LocalRopeTheta is not null;
        var theta = local ? s.LocalRopeTheta!.Value : s.RopeTheta;
        var attention = 1.0;
        if (s.ShortFactor is not null)
        {
            var factor = (double)s.MaxPositions / s.OriginalMaxPositions;
            attention = Math.Sqrt(1 + Math.Log(factor) / Math.Log(s.OriginalMaxPositions));
        }
        var rows = new List<Tensor>();
        for (var p = 0; p < t.shape[0]; p++)
        {
            var angles = tensor(Enumerable.Range(0, rot / 2).Select(i =>
            {
                var f = Math.Pow(theta, -2.0 * i / rot);
                if (!local && s.LinearRopeFactor is { } linear) f /= linear;
                if (s.ShortFactor is { } shortFactor) f /= shortFactor[i];
                return p * f;
            }).ToArray());
            var (cos, sin) = (angles.cos() * attention, angles.sin() * attention);
            var a = t[p, .., ..(rot / 2)];
            var b = t[p, .., (rot / 2)..rot];
            var rest = t[p, .., rot..];
            rows.Add(cat(new[] { a * cos - b * sin, b * cos + a * sin, rest }, -1));
        }
        return stack(rows);
    }
}
