namespace LoraDsl.Lora;

/// <summary>PEFT's <c>init_lora_weights</c>.</summary>
public enum LoraInit
{
    /// <summary>true: A kaiming-uniform (a = sqrt 5), B zeros.</summary>
    Default,

    /// <summary>"gaussian": A ~ N(0, 1/r), B zeros.</summary>
    Gaussian,

    /// <summary>
    /// "pissa" (or "pissa_niter_N" with <see cref="LoraOptions.PissaIterations"/>): A and B from the top r singular
    /// triplets of W, W becomes the residual W − s·BA. Saving converts to a plain LoRA against the original W.
    /// </summary>
    Pissa,

    /// <summary>"olora": W = QR, B = Q[:, :r], A = R[:r], W becomes W − s·BA. Saving converts as for PiSSA.</summary>
    Olora,
}
