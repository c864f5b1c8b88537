import { describe, expect, it } from "vitest";
import { DEMO_IMAGES } from "../test/fake";
import { defaultName, envProblem, groupImages, imagePathProblem, nameProblem, replicaNames, replicaPreview } from "./launch";

describe("session names", () => {
  it("accepts what the server accepts, within the portal's 15 characters", () => {
    expect(nameProblem("notebook1")).toBeNull();
    expect(nameProblem("My-Session-2")).toBeNull();
    expect(nameProblem("")).toMatch(/name/);
    expect(nameProblem("has space")).toMatch(/letters, digits and '-'/);
    expect(nameProblem("under_score")).toMatch(/letters, digits and '-'/);
    expect(nameProblem("a".repeat(16))).toMatch(/15 characters/);
  });

  it("suggests the first free <kind><n>", () => {
    expect(defaultName("notebook", [])).toBe("notebook1");
    expect(defaultName("notebook", ["notebook1", "notebook2", "carta1"])).toBe("notebook3");
    expect(defaultName("notebook", ["notebook2"])).toBe("notebook1");
    expect(defaultName("carta", ["CARTA1"])).toBe("carta2");
  });

  it("names replicas <name>-1..N, and a single one plainly", () => {
    expect(replicaNames("job", 1)).toEqual(["job"]);
    expect(replicaNames("job", 3)).toEqual(["job-1", "job-2", "job-3"]);
    expect(replicaPreview("job", 3)).toBe("job-1, job-2, job-3");
    expect(replicaPreview("job", 8)).toBe("job-1, job-2, job-3 … job-8");
  });
});

describe("image picker", () => {
  it("offers only the images of the chosen kind, grouped by project", () => {
    const g = groupImages(DEMO_IMAGES, "notebook");
    expect(g.map((x) => x.group)).toEqual(["images.canfar.net/lsst", "images.canfar.net/skaha"]);
    expect(g[1].images.map((i) => i.label)).toEqual(["astroml:24.07", "astroml:latest", "base-notebook:latest"]);
    expect(groupImages(DEMO_IMAGES, "carta").flatMap((x) => x.images.map((i) => i.id))).toEqual([
      "images.canfar.net/skaha/carta:4.1",
      "images.canfar.net/skaha/carta:5.0",
    ]);
  });

  it("searches within the kind", () => {
    const g = groupImages(DEMO_IMAGES, "notebook", "ASTRO 24");
    expect(g.flatMap((x) => x.images.map((i) => i.id))).toEqual(["images.canfar.net/skaha/astroml:24.07"]);
    expect(groupImages(DEMO_IMAGES, "notebook", "nothing")).toEqual([]);
  });

  it("checks free-form image paths", () => {
    expect(imagePathProblem("myproject/myimage:1.0")).toBeNull();
    expect(imagePathProblem("")).toMatch(/image path/);
    expect(imagePathProblem("myimage")).toMatch(/project/);
    expect(imagePathProblem("my project/x")).toMatch(/spaces/);
  });
});

describe("environment rows", () => {
  it("ignores empty rows and refuses what the platform would drop", () => {
    expect(envProblem({ name: "", value: "" })).toBeNull();
    expect(envProblem({ name: "OMP_NUM_THREADS", value: "4" })).toBeNull();
    expect(envProblem({ name: "1BAD", value: "x" })).toMatch(/Names/);
    expect(envProblem({ name: "A", value: "b=c" })).toMatch(/'='/);
  });
});
