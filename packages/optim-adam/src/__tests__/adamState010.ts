// The state Adam saved before its slots depended on the configuration: written by
// @trainkit/optim-adam 0.1.0 (commit 7340788) for
//   adam({ lr: 1e-2, groups: [{ params: /bias$/, lr: 1e-3, weightDecay: 0.1 }] })
// after 3 steps from p[i] = fround(cos(i + size)) with gradients g[i] = fround(sin(1.7·i + t + name.length))
// at step t, slot arrays as number lists. amsgrad is false, yet every parameter has a `vmax` slot of zeros.
// `params` holds the parameters after those 3 steps.
export const adamStateBeforeLeanSlots = {
  "state": {
    "name": "optim-adam/adam",
    "step": 3,
    "groups": [{"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-08, "weightDecay": 0.1, "amsgrad": false}, {"lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-08, "weightDecay": 0, "amsgrad": false}],
    "paramSteps": {"fc.weight": 3, "fc.bias": 3},
    "slots": {
      "fc.weight": {
        "m": [-0.1877221167087555, 0.04086568206548691, 0.17719148099422455, -0.08652598410844803, -0.15489467978477478, 0.12644062936306],
        "v": [0.001582258497364819, 0.001417945371940732, 0.0015705039259046316, 0.0014398301718756557, 0.0015399418771266937, 0.0014770401176065207],
        "vmax": [0, 0, 0, 0, 0, 0]
      },
      "fc.bias": {
        "m": [0.03596997633576393, -0.2019936889410019, -0.007618390489369631],
        "v": [0.001302754390053451, 0.0018408477772027254, 0.0014022525865584612],
        "vmax": [0, 0, 0]
      }
    }
  },
  "params": {
    "fc.weight": [0.989441990852356, 0.7670279741287231, -0.1745145171880722, -0.9179537296295166, -0.8111045956611633, 0.004599092062562704],
    "fc.bias": [-0.9920728206634521, -0.6507760286331177, 0.285478800535202]
  }
} as const;
