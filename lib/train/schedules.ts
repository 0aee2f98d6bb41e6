/**
 * Training options of the VAE's KL term: a weight β, KL warm-up (the weight ramped linearly from
 * 0 to β over the first N epochs, per step; Sønderby et al. 2016, "How to train deep variational
 * autoencoders and probabilistic ladder networks") and free bits (a floor of λ nats per latent
 * dimension on the minibatch-mean KL; Kingma et al. 2016, "Improved variational inference with
 * inverse autoregressive flow"). {@link withKlSchedule} applies them to a VAE for `train()`.
 *
 * @module
 */
import type { VariationalAutoencoder } from "../models/mod.ts";

/** How the KL term is weighted and floored during training. */
export interface KlSchedule {
  /** Final weight of the KL term (default 1, the ELBO). */
  beta?: number;
  /** Epochs over which the weight rises linearly from 0 to β (default 0 = no warm-up). */
  warmupEpochs?: number;
  /** Free bits λ: nats per latent dimension below which the KL is not penalised (default 0). */
  freeBits?: number;
}

/** Throws an error naming the bad field of a schedule and the values it takes. */
export function checkKlSchedule(schedule: KlSchedule): Required<KlSchedule> {
  const { beta = 1, warmupEpochs = 0, freeBits = 0 } = schedule;
  const check = (name: string, value: number, rule: string, ok: boolean) => {
    if (!ok) throw new Error(`KL schedule: ${name} is ${value}; it must be ${rule}.`);
  };
  check("beta", beta, "a finite number > 0 (1 = the ELBO)", Number.isFinite(beta) && beta > 0);
  check(
    "warmupEpochs",
    warmupEpochs,
    "a finite number >= 0 (0 = no warm-up)",
    Number.isFinite(warmupEpochs) && warmupEpochs >= 0,
  );
  check(
    "freeBits",
    freeBits,
    "a finite number >= 0 nats per dimension (0 = off)",
    Number.isFinite(freeBits) && freeBits >= 0,
  );
  return { beta, warmupEpochs, freeBits };
}

/**
 * The KL weight at `epochProgress` epochs into training (fractional; the step's epoch index plus
 * the fraction of its batches already done): β · min(1, progress / warmupEpochs), or β without
 * warm-up or when `epochProgress` is undefined (evaluation).
 */
export function klWeightAt(schedule: KlSchedule, epochProgress?: number): number {
  const { beta, warmupEpochs } = checkKlSchedule(schedule);
  if (warmupEpochs === 0 || epochProgress === undefined) return beta;
  if (!(Number.isFinite(epochProgress) && epochProgress >= 0)) {
    throw new Error(`klWeightAt: epochProgress must be a number >= 0, got ${epochProgress}.`);
  }
  return beta * Math.min(1, epochProgress / warmupEpochs);
}

/** Whether a schedule is the plain ELBO (β 1, no warm-up, no free bits). */
export function isPlainSchedule(schedule: KlSchedule): boolean {
  const { beta, warmupEpochs, freeBits } = checkKlSchedule(schedule);
  return beta === 1 && warmupEpochs === 0 && freeBits === 0;
}

/**
 * The VAE trained with `schedule`: during training (`epochProgress` given, as `train()` does) its
 * loss is reconstruction + klWeightAt(progress) · KL with the free-bits floor; in evaluation the
 * loss is reconstruction + β · KL (no warm-up, no floor). The measured `reconstruction` and `kl`
 * are always the plain terms. A plain schedule returns the model itself.
 */
export function withKlSchedule(
  model: VariationalAutoencoder,
  schedule: KlSchedule,
): VariationalAutoencoder {
  const checked = checkKlSchedule(schedule);
  if (isPlainSchedule(checked)) return model;
  return {
    ...model,
    lossTerms: (batch, options = {}) => {
      const training = options.epochProgress !== undefined;
      return model.lossTerms(batch, {
        ...options,
        klWeight: klWeightAt(checked, options.epochProgress),
        freeBits: training ? checked.freeBits : 0,
      });
    },
  };
}
