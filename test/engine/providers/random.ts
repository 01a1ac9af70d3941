/**
 * random's RandomPassword, as terraform-provider-random's random_password (which
 * @pulumi/random 4.21.2 bridges): every argument forces a new password
 * (RequiresReplace on each attribute, internal/provider/resource_password.go),
 * the password is generated once and lives only in the state, `result` is
 * sensitive. Read at terraform-provider-random v3.9.0, which pulumi-random
 * v4.21.1 pins (4.21.2's tag could not be read; SOURCES.md). `keepers` replaces
 * unless only null-valued keys changed, `overrideSpecial` unless "" became null:
 * the program sets neither way, so they are plain ForceNew here.
 */
import { randomBytes } from "node:crypto";
import type { ResourceRules } from "./generic";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

export const RANDOM_RULES: Record<string, ResourceRules> = {
  "random:index/randomPassword:RandomPassword": {
    source: "hashicorp/terraform-provider-random v3.9.0, internal/provider/resource_password.go (passwordSchemaV3)",
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
