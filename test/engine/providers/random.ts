/**
 * random's RandomPassword, as terraform-provider-random's random_password (which
 * @pulumi/random 4.21.2 bridges): every argument forces a new password
 * (RequiresReplace on each attribute, internal/provider/resource_password.go),
 * the password is generated once and lives only in the state, `result` is
 * sensitive. Version facts: test/engine/providers/SOURCES.md.
 */
import { randomBytes } from "node:crypto";
import type { ResourceRules } from "./generic";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

export const RANDOM_RULES: Record<string, ResourceRules> = {
  "random:index/randomPassword:RandomPassword": {
    source: "hashicorp/terraform-provider-random, internal/provider/resource_password.go (every attribute RequiresReplace)",
    forceNew: ["keepers", "length", "special", "upper", "lower", "numeric", "number", "minNumeric", "minUpper", "minLower", "minSpecial", "overrideSpecial"],
    idOf: () => "none",
    computed: (inputs) => {
      const length = typeof inputs["length"] === "number" ? inputs["length"] : 16;
      const alphabet = ALPHABET + (inputs["special"] === false ? "" : String(inputs["overrideSpecial"] ?? "!@#$%&*()-_=+[]{}<>:?"));
      const bytes = randomBytes(length);
      return { result: Array.from(bytes, (b) => alphabet[b % alphabet.length]).join("") };
    },
    secretOutputs: ["result"],
    onHost: false,
  },
};
