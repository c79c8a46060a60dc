/**
 * Deterministic synthetic district: OneRoster 1.1 rosters, a GAM `print cros` export and an Intune device export
 * that agree with each other except where the generator puts a discrepancy in on purpose (`plant: true`, the
 * demo) or by chance (`noise`, ~1% by default without planting, the benchmark).
 *
 * The same options and seed always give the same model and byte-identical files. All dates are relative to
 * `asOf`. expected.ts computes what rollcall's rules should find in a model.
 */
import {
  CURRENT_CHROMEBOOKS, EXPIRED_CHROMEBOOKS, FIRST_NAMES, LAST_NAMES, NEAR_CHROMEBOOKS, SCHOOL_PLACES,
  WARNING_CHROMEBOOKS, WINDOWS_MODELS, WINDOWS_OS_VERSIONS, slug,
  type ChromebookModelSpec,
} from './names.js';
import { Rng, SerialFactory, pad } from './random.js';
import {
  GRADES, normaliseSerial,
  type ChromebookModel, type DistrictModel, type DistrictSettings, type GamDevice, type Grade, type IntuneDevice,
  type Org, type Person, type PersonRole, type PlantedCase, type RuleName, type SchoolLevel,
} from './model.js';

export interface GenerateOptions {
  students: number;
  /**
   * Devices to hand out, Chromebooks and Windows laptops together (default students × 1.1). Planted and noise
   * cases add a few rows on top. Order of use: Windows laptops, then a Chromebook per 1:1 student, a Chromebook
   * for every third teacher, cart Chromebooks for K-2, and the rest as spares (one in eight of them retired).
   */
  devices?: number;
  /** Windows laptops (Intune) within `devices`: staff first, then grade 11-12 students. Default staff + 5% of high school. */
  windowsLaptops?: number;
  /** Staff (teachers, administrators, aides). Default 6% of students. */
  staff?: number;
  seed?: number;
  asOf: Date;
  /** Default 4, or one per 1,000 students for big districts. At least 3 (elementary, middle, high). */
  schools?: number;
  /** Put each rule's case in a few times on purpose (the demo). */
  plant?: boolean;
  /** Probability scale of accidental discrepancies. Default 0 when planting, else 0.01. */
  noise?: number;
}

export const DEFAULT_SEED = 20261101;
export const SOURCE_ID = 'sis';
export const ONE_TO_ONE_GRADES: readonly Grade[] = ['03', '04', '05', '06', '07', '08', '09', '10', '11', '12'];

export const DAY = 86_400_000;
export const SEC = 1000;
const GRADE_LEVEL: Record<SchoolLevel, readonly Grade[]> = {
  elementary: ['KG', '01', '02', '03', '04', '05'],
  middle: ['06', '07', '08'],
  high: ['09', '10', '11', '12'],
};
const LEVEL_SUFFIX: Record<SchoolLevel, string> = {
  elementary: 'Elementary',
  middle: 'Middle School',
  high: 'High School',
};

/** What a generated row is, for the generator's own bookkeeping (not written anywhere). */
const enum Kind {
  Student = 1,
  Staff = 2,
  Cart = 3,
  Spare = 4,
  Retired = 5,
  Lab = 6,
  Extra = 7,
}

export function isWithdrawn(p: Person): boolean {
  return !p.enabledUser || p.status === 'tobedeleted';
}

export function deviceKey(serial: string): string {
  return `device:${normaliseSerial(serial)}`;
}

export function personKey(p: Person, sourceId = SOURCE_ID): string {
  return `person:${sourceId}:${p.sourcedId}`;
}

export function gradeOuLabel(g: Grade): string {
  return g === 'KG' ? 'Kindergarten' : `Grade ${Number(g)}`;
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

class Builder {
  readonly root: Rng;
  readonly asOfMs: number;
  readonly noise: number;
  readonly serials: SerialFactory;
  readonly domain = 'maplewood.example.org';
  readonly studentDomain = `students.${this.domain}`;

  readonly district: Org;
  readonly schools: Org[] = [];
  readonly servingByGrade = new Map<Grade, number[]>();
  readonly schoolIndex = new Map<string, number>();
  readonly schoolOrgs: (readonly string[])[] = [];
  readonly people: Person[] = [];
  readonly gam: GamDevice[] = [];
  readonly intune: IntuneDevice[] = [];
  readonly planted: PlantedCase[] = [];
  readonly traps: PlantedCase[] = [];

  /** People indices of staff by their school (first school org). */
  readonly staffAt: number[][] = [];
  /** Per student (people index): school index for OU purposes. */
  readonly studentSchool: number[] = [];
  nStudents = 0;
  readonly gamKind: Kind[] = [];
  readonly gamOwner: number[] = [];
  readonly intuneKind: Kind[] = [];
  readonly intuneOwner: number[] = [];
  /** Model specs materialised against asOf. */
  readonly current: ChromebookModel[];
  readonly expired: ChromebookModel[];
  readonly warning: ChromebookModel[];
  readonly near: ChromebookModel[];
  private readonly ouCache = new Map<string, string>();
  private nextAsset = 1;
  private nextLaptop = 1;
  private nextStudentLaptop = 1;
  private nextLab = 1;

  constructor(readonly opts: GenerateOptions, readonly seed: number) {
    this.root = new Rng(seed);
    this.asOfMs = opts.asOf.getTime();
    this.noise = opts.noise ?? (opts.plant ? 0 : 0.01);
    this.serials = new SerialFactory(seed);
    const materialise = (spec: ChromebookModelSpec): ChromebookModel => ({
      name: spec.name,
      serialKind: spec.serialKind,
      aue: isoDate(this.asOfMs + spec.aueOffsetDays * DAY),
      osVersion: spec.osVersion,
    });
    this.current = CURRENT_CHROMEBOOKS.map(materialise);
    this.expired = EXPIRED_CHROMEBOOKS.map(materialise);
    this.warning = WARNING_CHROMEBOOKS.map(materialise);
    this.near = NEAR_CHROMEBOOKS.map(materialise);
    this.district = {
      sourcedId: 'dist-001',
      name: 'Maplewood Unified School District',
      type: 'district',
      identifier: 'MUSD',
      parentSourcedId: null,
      level: null,
      grades: GRADES,
      ouPath: null,
    };
  }

  // ---------------------------------------------------------------- time

  /** Synced between 30 minutes and 10 days before asOf. */
  fresh(r: Rng): number {
    return this.asOfMs - r.range(1800, 10 * 86400) * SEC;
  }

  /** 45 to 200 days before asOf: well past the 30-day staleness threshold. */
  stale(r: Rng): number {
    return this.asOfMs - r.range(45 * 86400, 200 * 86400) * SEC;
  }

  /** Spares sit on shelves: 1-20 or 45-120 days ago (never near the threshold, though spares have no holder). */
  shelf(r: Rng): number {
    return this.asOfMs - (r.chance(0.5) ? r.range(86400, 20 * 86400) : r.range(45 * 86400, 120 * 86400)) * SEC;
  }

  // ---------------------------------------------------------------- orgs

  buildSchools(n: number): void {
    if (!Number.isInteger(n) || n < 3) throw new Error('schools must be an integer ≥ 3 (elementary, middle, high)');
    const middle = Math.max(1, Math.round(n / 4));
    const high = Math.max(1, Math.round(n / 4));
    const elementary = n - middle - high;
    const levels: SchoolLevel[] = [
      ...Array<SchoolLevel>(elementary).fill('elementary'),
      ...Array<SchoolLevel>(middle).fill('middle'),
      ...Array<SchoolLevel>(high).fill('high'),
    ];
    const width = Math.max(3, String(n).length);
    const P = SCHOOL_PLACES.length;
    const prefixes = ['', 'North ', 'South ', 'East ', 'West ', 'Central '];
    levels.forEach((level, i) => {
      const place = SCHOOL_PLACES[i % P] as string;
      const round = Math.floor(i / P);
      const name =
        round < prefixes.length
          ? `${prefixes[round]}${place} ${LEVEL_SUFFIX[level]}`
          : `${place} ${round} ${LEVEL_SUFFIX[level]}`;
      const sourcedId = `sch-${pad(i + 1, width)}`;
      this.schools.push({
        sourcedId,
        name,
        type: 'school',
        identifier: String(1000 + i * 10),
        parentSourcedId: this.district.sourcedId,
        level,
        grades: GRADE_LEVEL[level],
        ouPath: `/Students/${name}`,
      });
      this.schoolOrgs.push([sourcedId]);
      this.schoolIndex.set(sourcedId, i);
      for (const g of GRADE_LEVEL[level]) {
        const list = this.servingByGrade.get(g) ?? [];
        list.push(i);
        this.servingByGrade.set(g, list);
      }
    });
  }

  ou(schoolIdx: number, grade: Grade): string {
    const key = `${schoolIdx}|${grade}`;
    let v = this.ouCache.get(key);
    if (v === undefined) {
      v = `${this.schools[schoolIdx]!.ouPath}/${gradeOuLabel(grade)}`;
      this.ouCache.set(key, v);
    }
    return v;
  }

  cartOu(schoolIdx: number): string {
    return this.ou(schoolIdx, 'KG').replace(/\/Kindergarten$/, '/Carts');
  }

  // ---------------------------------------------------------------- people

  buildStudents(n: number): void {
    const r = this.root.fork('students');
    const pairs = new Map<string, number>();
    const grades = new Map<Grade, readonly Grade[]>(GRADES.map((g) => [g, [g]]));
    const width = Math.max(7, String(n).length);
    for (let i = 0; i < n; i++) {
      const grade = GRADES[i % GRADES.length]!;
      const serving = this.servingByGrade.get(grade)!;
      const school = serving[Math.floor(i / GRADES.length) % serving.length]!;
      const givenName = r.pick(FIRST_NAMES);
      const familyName = r.pick(LAST_NAMES);
      const middleName = r.chance(0.25) ? r.pick(FIRST_NAMES) : '';
      const local = `${slug(givenName)}.${slug(familyName)}`;
      const k = (pairs.get(local) ?? 0) + 1;
      pairs.set(local, k);
      let enabledUser = true;
      let status: Person['status'] = '';
      if (r.chance(this.noise)) {
        if (r.chance(0.15)) status = 'tobedeleted';
        else enabledUser = false;
      }
      this.people.push({
        sourcedId: `stu-${pad(i + 1, width)}`,
        role: 'student',
        status,
        enabledUser,
        orgSourcedIds: this.schoolOrgs[school]!,
        givenName,
        familyName,
        middleName,
        email: `${local}${k}@${this.studentDomain}`,
        identifier: String(200000 + i),
        ldapId: 500000 + i,
        grades: grades.get(grade)!,
      });
      this.studentSchool.push(school);
    }
    this.nStudents = n;
  }

  buildStaff(n: number): void {
    const r = this.root.fork('staff');
    const pairs = new Map<string, number>();
    const districtOrgs = [this.district.sourcedId];
    const office = Math.max(1, Math.round(n * 0.04));
    const nSchools = this.schools.length;
    for (let s = 0; s < nSchools; s++) this.staffAt.push([]);
    for (let j = 0; j < n; j++) {
      let role: PersonRole;
      let orgs: readonly string[];
      if (j < office) {
        role = 'administrator';
        orgs = districtOrgs;
      } else {
        const k = j - office;
        const s = k % nSchools;
        role = k % 12 === 0 ? 'administrator' : k % 12 === 1 ? 'aide' : 'teacher';
        // Itinerant teachers (music, PE, specialists) list two schools; their school is the first.
        orgs = role === 'teacher' && k % 23 === 5 ? [this.schools[s]!.sourcedId, this.schools[(s + 1) % nSchools]!.sourcedId] : this.schoolOrgs[s]!;
      }
      const givenName = r.pick(FIRST_NAMES);
      const familyName = r.pick(LAST_NAMES);
      const middleName = r.chance(0.3) ? r.pick(FIRST_NAMES) : '';
      const local = `${slug(givenName)}.${slug(familyName)}`;
      const k = (pairs.get(local) ?? 0) + 1;
      pairs.set(local, k);
      const enabledUser = !r.chance(this.noise / 2);
      this.people.push({
        sourcedId: `stf-${pad(j + 1, 6)}`,
        role,
        status: '',
        enabledUser,
        orgSourcedIds: orgs,
        givenName,
        familyName,
        middleName,
        email: `${local}${k > 1 ? k : ''}@${this.domain}`,
        identifier: `E${pad(j + 1, 6)}`,
        ldapId: 100000 + j,
        grades: [],
      });
      const first = orgs.find((id) => id !== this.district.sourcedId);
      const schoolIdx = first === undefined ? -1 : (this.schoolIndex.get(first) ?? -1);
      if (schoolIdx >= 0) this.staffAt[schoolIdx]!.push(this.people.length - 1);
    }
  }

  // ---------------------------------------------------------------- devices

  addGam(kind: Kind, owner: number, row: Omit<GamDevice, 'serialNumber' | 'asset'> & { serialNumber?: string }): number {
    this.gam.push({
      serialNumber: row.serialNumber ?? this.serials.next(row.model.serialKind),
      asset: this.nextAsset++,
      annotatedUser: row.annotatedUser,
      orgUnitPath: row.orgUnitPath,
      status: row.status,
      lastSync: row.lastSync,
      model: row.model,
      bootMode: row.bootMode,
      recentUser: row.recentUser,
    });
    this.gamKind.push(kind);
    this.gamOwner.push(owner);
    return this.gam.length - 1;
  }

  addIntune(kind: Kind, owner: number, r: Rng, upn: string, over: Partial<IntuneDevice> = {}): number {
    const model = over.model ?? r.pick(WINDOWS_MODELS);
    const deviceName =
      kind === Kind.Staff ? `MW-LT-${pad(this.nextLaptop++, 5)}`
        : kind === Kind.Student ? `MW-SLT-${pad(this.nextStudentLaptop++, 5)}`
          : `MW-LAB-${pad(this.nextLab++, 4)}`;
    this.intune.push({
      deviceName: over.deviceName ?? deviceName,
      enrolledAt: over.enrolledAt ?? this.asOfMs - r.range(60 * 86400, 900 * 86400) * SEC,
      lastCheckIn: over.lastCheckIn ?? this.fresh(r),
      osVersion: over.osVersion ?? r.pick(WINDOWS_OS_VERSIONS),
      serialNumber: over.serialNumber ?? this.serials.next(model.serialKind),
      model,
      primaryUserUpn: upn,
      compliance: over.compliance ?? 'Compliant',
    });
    this.intuneKind.push(kind);
    this.intuneOwner.push(owner);
    return this.intune.length - 1;
  }

  /** A student's own Chromebook, with this district's noise applied. */
  studentChromebook(r: Rng, i: number, clean: boolean): number {
    const p = this.people[i]!;
    const noise = clean ? 0 : this.noise;
    const grade = p.grades[0]!;
    let ou = this.ou(this.studentSchool[i]!, grade);
    if (r.chance(noise / 5)) {
      // The device sits in another school's OU (moved student, mis-filed device).
      const other = r.int(this.schools.length);
      ou = this.ou(other, this.schools[other]!.grades[0]!);
    }
    const model = r.chance(noise / 2) ? r.pick([...this.expired, ...this.warning]) : r.pick(this.current);
    const idx = this.addGam(Kind.Student, i, {
      annotatedUser: r.chance(noise / 20) ? typo(p.email) : p.email,
      orgUnitPath: ou,
      status: r.chance(noise / 5) ? 'DISABLED' : 'ACTIVE',
      lastSync: r.chance(noise) ? this.stale(r) : this.fresh(r),
      model,
      bootMode: r.chance(noise / 10) ? 'Dev' : 'Verified',
      recentUser: p.email,
    });
    if (r.chance(noise / 20)) {
      // A second Chromebook annotated to the same student (loaner never returned).
      this.addGam(Kind.Extra, i, {
        annotatedUser: p.email, orgUnitPath: ou, status: 'ACTIVE', lastSync: this.fresh(r),
        model: r.pick(this.current), bootMode: 'Verified', recentUser: p.email,
      });
    }
    if (r.chance(noise / 50)) {
      // The same serial shows up in Intune under a staff member (re-imaged device, or a typo'd serial).
      // The staff member works at the student's school, so the new holder never makes a wrong-school finding
      // whose existence would hinge on whether that rule looks at staff holders.
      const colleagues = this.staffAt[this.studentSchool[i]!]!;
      if (colleagues.length > 0 && ou === this.ou(this.studentSchool[i]!, grade)) {
        const staff = r.pick(colleagues);
        const gamRow = this.gam[idx]!;
        const base = gamRow.lastSync ?? this.fresh(r);
        this.addIntune(Kind.Lab, -1, r, this.people[staff]!.email, {
          serialNumber: gamRow.serialNumber,
          lastCheckIn: Math.min(base + r.range(3600, 4 * 86400) * SEC, this.asOfMs - 60 * SEC),
        });
      }
    }
    return idx;
  }

  cart(r: Rng, school: number): number {
    const noise = this.noise;
    return this.addGam(Kind.Cart, -1, {
      annotatedUser: '',
      orgUnitPath: this.cartOu(school),
      status: 'ACTIVE',
      lastSync: this.fresh(r),
      model: r.chance(noise * 2) ? r.pick([...this.expired, ...this.warning]) : r.pick(this.current),
      bootMode: r.chance(noise / 10) ? 'Dev' : 'Verified',
      recentUser: '',
    });
  }

  spare(r: Rng, retired: boolean): number {
    return this.addGam(retired ? Kind.Retired : Kind.Spare, -1, {
      annotatedUser: '',
      orgUnitPath: retired ? '/Retired' : '/Inventory',
      status: retired ? 'DEPROVISIONED' : 'ACTIVE',
      lastSync: retired ? this.asOfMs - r.range(200 * 86400, 700 * 86400) * SEC : this.shelf(r),
      model: retired ? r.pick(this.expired) : r.pick(this.current),
      bootMode: 'Verified',
      recentUser: '',
    });
  }

  /** The student handed the device back: it becomes an unassigned spare. */
  returnToSpare(g: number): void {
    const row = this.gam[g]!;
    row.annotatedUser = '';
    row.recentUser = '';
    row.orgUnitPath = '/Inventory';
    this.gamKind[g] = Kind.Spare;
    this.gamOwner[g] = -1;
  }

  buildDevices(totalDevices: number, windowsLaptops: number | undefined): void {
    const people = this.people;
    const N = this.nStudents;
    const S = people.length - N;
    let hs = 0;
    for (let i = 0; i < N; i++) if (this.schools[this.studentSchool[i]!]!.level === 'high') hs++;
    const W = Math.min(totalDevices, windowsLaptops ?? S + Math.round(0.05 * hs));
    let cLeft = totalDevices - W;

    // Windows laptops: staff first, then grade 11-12 students (CTE), then lab machines.
    const wr = this.root.fork('windows');
    let wLeft = W;
    const hasLaptop = new Uint8Array(N);
    for (let j = N; j < people.length && wLeft > 0; j++, wLeft--) {
      const p = people[j]!;
      const returned = !p.enabledUser && wr.chance(0.5);
      const idx = this.addIntune(Kind.Staff, returned ? -1 : j, wr, returned ? '' : p.email);
      this.intuneNoise(wr, idx);
    }
    if (wLeft > 0) {
      const candidates: number[] = [];
      for (let i = 0; i < N; i++) {
        const p = people[i]!;
        if (!isWithdrawn(p) && (p.grades[0] === '11' || p.grades[0] === '12')) candidates.push(i);
      }
      const chosen = wr.shuffle(candidates).slice(0, wLeft).sort((a, b) => a - b);
      for (const i of chosen) {
        hasLaptop[i] = 1;
        const idx = this.addIntune(Kind.Student, i, wr, people[i]!.email);
        this.intuneNoise(wr, idx);
      }
      wLeft -= chosen.length;
      for (; wLeft > 0; wLeft--) this.addIntune(Kind.Lab, -1, wr, '');
    }

    // Chromebooks: one per 1:1 student...
    const cr = this.root.fork('chromebooks');
    const oneToOne = new Set<string>(ONE_TO_ONE_GRADES);
    for (let i = 0; i < N && cLeft > 0; i++) {
      const p = people[i]!;
      if (!oneToOne.has(p.grades[0]!) || hasLaptop[i]) continue;
      if (isWithdrawn(p)) {
        // Half the leavers still have the device annotated to them; the rest handed it back.
        if (cr.chance(0.5)) this.studentChromebook(cr, i, true);
        else this.returnToSpare(this.studentChromebook(cr, i, true));
      } else if (cr.chance(this.noise / 2)) {
        continue; // new enrolment, no device yet
      } else {
        this.studentChromebook(cr, i, false);
      }
      cLeft--;
    }
    // ...one for every third teacher...
    for (let j = N; j < people.length && cLeft > 0; j++) {
      const p = people[j]!;
      if (p.role !== 'teacher' || j % 3 !== 0) continue;
      this.addGam(Kind.Staff, j, {
        annotatedUser: p.email, orgUnitPath: '/Staff', status: 'ACTIVE', lastSync: this.fresh(cr),
        model: cr.pick(this.current), bootMode: 'Verified', recentUser: p.email,
      });
      cLeft--;
    }
    // ...carts for K-2 (one device per K-2 student)...
    const k2 = new Array<number>(this.schools.length).fill(0);
    for (let i = 0; i < N; i++) {
      const g = people[i]!.grades[0];
      if (g === 'KG' || g === '01' || g === '02') k2[this.studentSchool[i]!]!++;
    }
    for (let s = 0; s < this.schools.length; s++) {
      for (let c = 0; c < k2[s]! && cLeft > 0; c++, cLeft--) this.cart(cr, s);
    }
    // ...and the rest are spares, one in eight of them retired (deprovisioned, AUE passed).
    for (let k = 0; cLeft > 0; k++, cLeft--) this.spare(cr, k % 8 === 7);
  }

  intuneNoise(r: Rng, idx: number): void {
    const row = this.intune[idx]!;
    if (r.chance(this.noise * 3)) row.compliance = 'Noncompliant';
    if (r.chance(this.noise)) row.lastCheckIn = this.stale(r);
  }

  // ---------------------------------------------------------------- planting

  plant(): void {
    const r = this.root.fork('plant');
    const people = this.people;
    const usedGam = new Set<number>();
    const usedIntune = new Set<number>();
    const usedPerson = new Set<number>();
    const currentNames = new Set(this.current.map((m) => m.name));

    const gamPool = (kind: Kind, pred: (g: number) => boolean = () => true): number[] => {
      const out: number[] = [];
      for (let g = 0; g < this.gam.length; g++) if (this.gamKind[g] === kind && pred(g)) out.push(g);
      return r.shuffle(out);
    };
    const intunePool = (kind: Kind, pred: (d: number) => boolean = () => true): number[] => {
      const out: number[] = [];
      for (let d = 0; d < this.intune.length; d++) if (this.intuneKind[d] === kind && pred(d)) out.push(d);
      return r.shuffle(out);
    };
    const cleanGam = (g: number): boolean => {
      const row = this.gam[g]!;
      return row.status === 'ACTIVE' && row.bootMode === 'Verified' && currentNames.has(row.model.name)
        && row.lastSync !== null && row.lastSync > this.asOfMs - 15 * DAY;
    };
    const activeOwner = (owner: number): boolean => owner >= 0 && !isWithdrawn(people[owner]!);

    /** Student Chromebooks that are clean and whose student is active, in the 1:1 program, with one device. */
    const devicesOf = new Map<number, number>();
    for (let g = 0; g < this.gam.length; g++) {
      const o = this.gamOwner[g]!;
      if (o >= 0) devicesOf.set(o, (devicesOf.get(o) ?? 0) + 1);
    }
    for (let d = 0; d < this.intune.length; d++) {
      const o = this.intuneOwner[d]!;
      if (o >= 0) devicesOf.set(o, (devicesOf.get(o) ?? 0) + 1);
    }
    const cbPool = gamPool(Kind.Student, (g) => {
      const o = this.gamOwner[g]!;
      const row = this.gam[g]!;
      return activeOwner(o) && cleanGam(g) && devicesOf.get(o) === 1 && row.annotatedUser === people[o]!.email
        && row.orgUnitPath === this.ou(this.studentSchool[o]!, people[o]!.grades[0]!);
    });
    const cartPool = gamPool(Kind.Cart, cleanGam);
    const sparePool = gamPool(Kind.Spare, (g) => this.gam[g]!.status === 'ACTIVE');
    const retiredPool = gamPool(Kind.Retired);
    const cleanIntune = (d: number): boolean => {
      const row = this.intune[d]!;
      return row.compliance === 'Compliant' && row.lastCheckIn > this.asOfMs - 15 * DAY;
    };
    const staffLaptopPool = intunePool(Kind.Staff, (d) => activeOwner(this.intuneOwner[d]!) && cleanIntune(d)
      && devicesOf.get(this.intuneOwner[d]!) === 1);
    const hsLaptopPool = intunePool(Kind.Student, (d) => activeOwner(this.intuneOwner[d]!) && cleanIntune(d)
      && devicesOf.get(this.intuneOwner[d]!) === 1);

    const takeGam = (pool: number[], k: number, pred: (g: number) => boolean = () => true): number[] => {
      const out: number[] = [];
      for (const g of pool) {
        if (out.length >= k) break;
        const o = this.gamOwner[g]!;
        if (usedGam.has(g) || (o >= 0 && usedPerson.has(o)) || !pred(g)) continue;
        usedGam.add(g);
        if (o >= 0) usedPerson.add(o);
        out.push(g);
      }
      return out;
    };
    const takeIntune = (pool: number[], k: number): number[] => {
      const out: number[] = [];
      for (const d of pool) {
        if (out.length >= k) break;
        const o = this.intuneOwner[d]!;
        if (usedIntune.has(d) || (o >= 0 && usedPerson.has(o))) continue;
        usedIntune.add(d);
        if (o >= 0) usedPerson.add(o);
        out.push(d);
      }
      return out;
    };
    /** Active people not used by another case. */
    const takePerson = (k: number, pred: (i: number) => boolean): number[] => {
      const candidates: number[] = [];
      for (let i = 0; i < people.length; i++) {
        if (!usedPerson.has(i) && !isWithdrawn(people[i]!) && pred(i)) candidates.push(i);
      }
      const out = r.shuffle(candidates).slice(0, k);
      for (const i of out) usedPerson.add(i);
      return out;
    };
    const ownerOfGam = (g: number) => people[this.gamOwner[g]!]!;
    const dev = (g: number) => deviceKey(this.gam[g]!.serialNumber);
    const devI = (d: number) => deviceKey(this.intune[d]!.serialNumber);
    const plant = (rule: RuleName, subject: string, note: string) => this.planted.push({ rule, subject, note });
    const trap = (rule: RuleName, subject: string, note: string) => this.traps.push({ rule, subject, note });
    const isTeacher = (i: number) => i >= this.nStudents && people[i]!.role === 'teacher';
    const gradeOf = (g: number) => ownerOfGam(g).grades[0]!;
    const rematerialise = (g: number, model: ChromebookModel) => {
      const row = this.gam[g]!;
      row.model = model;
      row.serialNumber = this.serials.next(model.serialKind);
    };
    const otherSchoolFor = (school: number, grade: Grade): number | undefined =>
      this.servingByGrade.get(grade)!.find((s) => s !== school);

    // withdrawn-with-device
    for (const g of takeGam(cbPool, 3)) {
      ownerOfGam(g).enabledUser = false;
      plant('withdrawn-with-device', dev(g), 'student withdrawn (enabledUser=false), Chromebook still annotated to them');
    }
    for (const g of takeGam(cbPool, 1)) {
      ownerOfGam(g).status = 'tobedeleted';
      plant('withdrawn-with-device', dev(g), 'student status tobedeleted, Chromebook still annotated to them');
    }
    for (const d of takeIntune(staffLaptopPool, 1)) {
      people[this.intuneOwner[d]!]!.enabledUser = false;
      plant('withdrawn-with-device', devI(d), 'staff member left (enabledUser=false), still primary user of a Windows laptop');
    }
    {
      const laptops = takeIntune(hsLaptopPool, 1);
      for (const d of laptops) {
        people[this.intuneOwner[d]!]!.enabledUser = false;
        plant('withdrawn-with-device', devI(d), 'high-school student withdrawn, still primary user of a Windows laptop');
      }
      if (laptops.length === 0) {
        for (const g of takeGam(cbPool, 1)) {
          ownerOfGam(g).enabledUser = false;
          plant('withdrawn-with-device', dev(g), 'student withdrawn (enabledUser=false), Chromebook still annotated to them');
        }
      }
    }
    for (const g of takeGam(cbPool, 5)) {
      const p = ownerOfGam(g);
      p.enabledUser = false;
      trap('withdrawn-with-device', dev(g), 'Chromebook handed back by a withdrawn student (now an unassigned spare): no finding');
      trap('student-without-device', personKey(p), 'withdrawn grade 3-12 student without a device: not active, no finding');
      this.returnToSpare(g);
    }
    for (const g of takeGam(cbPool, 1)) {
      const p = ownerOfGam(g);
      p.status = 'tobedeleted';
      trap('withdrawn-with-device', dev(g), 'Chromebook handed back by a tobedeleted student: no finding');
      trap('student-without-device', personKey(p), 'tobedeleted student without a device: not active, no finding');
      this.returnToSpare(g);
    }

    // student-without-device
    for (const g of takeGam(cbPool, 6)) {
      const p = ownerOfGam(g);
      plant('student-without-device', personKey(p), `active grade ${p.grades[0]} student whose Chromebook went back to inventory`);
      this.returnToSpare(g);
    }

    // device-silent
    for (const g of takeGam(cbPool, 6)) {
      this.gam[g]!.lastSync = this.stale(r);
      plant('device-silent', dev(g), 'assigned Chromebook last synced 45-200 days before asOf');
    }
    for (const d of takeIntune(staffLaptopPool, 1)) {
      this.intune[d]!.lastCheckIn = this.stale(r);
      plant('device-silent', devI(d), 'staff Windows laptop last checked in 45-200 days before asOf');
    }

    // past-aue
    for (const g of takeGam(cbPool, 3)) {
      rematerialise(g, r.pick(this.expired));
      plant('past-aue', dev(g), `assigned Chromebook past AUE (${this.gam[g]!.model.aue})`);
    }
    for (const g of takeGam(cbPool, 2)) {
      rematerialise(g, r.pick(this.warning));
      plant('past-aue', dev(g), `assigned Chromebook with AUE inside the warning window (${this.gam[g]!.model.aue})`);
    }
    for (const g of takeGam(cartPool, 2)) {
      rematerialise(g, r.pick(this.expired));
      plant('past-aue', dev(g), `cart Chromebook past AUE (${this.gam[g]!.model.aue})`);
    }
    for (const g of takeGam(sparePool, 1)) {
      rematerialise(g, r.pick(this.warning));
      plant('past-aue', dev(g), `spare Chromebook with AUE inside the warning window (${this.gam[g]!.model.aue})`);
    }
    for (const g of takeGam(cartPool, 2)) {
      rematerialise(g, r.pick(this.near));
      trap('past-aue', dev(g), `AUE ${this.gam[g]!.model.aue} is just past the warning window: no finding`);
    }
    for (const g of retiredPool.slice(0, 2)) {
      usedGam.add(g);
      trap('past-aue', dev(g), 'deprovisioned device past AUE: not an active observation, no finding');
    }

    // wrong-school
    {
      let n = 0;
      for (const g of takeGam(cbPool, 3, (g) => otherSchoolFor(this.studentSchool[this.gamOwner[g]!]!, gradeOf(g)) !== undefined)) {
        const o = this.gamOwner[g]!;
        const other = otherSchoolFor(this.studentSchool[o]!, gradeOf(g))!;
        people[o]!.orgSourcedIds = this.schoolOrgs[other]!;
        plant('wrong-school', dev(g), `student transferred to ${this.schools[other]!.name}; Chromebook still in the old school's OU`);
        n++;
      }
      const elementary = this.schools.findIndex((s) => s.level === 'elementary');
      for (const g of takeGam(cbPool, 5 - n, (g) => gradeOf(g) === '06')) {
        this.gam[g]!.orgUnitPath = this.ou(elementary, '05');
        plant('wrong-school', dev(g), 'grade 6 student whose Chromebook was not moved out of the elementary OU at rollover');
        n++;
      }
      for (const g of takeGam(cbPool, 5 - n)) {
        const s = this.studentSchool[this.gamOwner[g]!]!;
        const other = (s + 1) % this.schools.length;
        this.gam[g]!.orgUnitPath = this.ou(other, this.schools[other]!.grades[0]!);
        plant('wrong-school', dev(g), 'Chromebook filed under another school\'s OU');
      }
      for (const g of takeGam(cbPool, 1)) {
        this.gam[g]!.orgUnitPath = '/Students';
        trap('wrong-school', dev(g), 'Chromebook in /Students (no school mapped): no finding');
      }
    }

    // duplicate-serial-conflict (same serial in GAM and Intune, different users)
    {
      const cbs = takeGam(cbPool, 4);
      // Teachers from the device's own school (see studentChromebook: keeps wrong-school out of it).
      const teachers = cbs.slice(0, 2).map((g) => takePerson(1, (i) => isTeacher(i)
        && this.staffAt[this.studentSchool[this.gamOwner[g]!]!]!.includes(i))[0]);
      const other = takeGam(cbPool, 1);
      const cases: { upn: string; newer: boolean; lower: boolean; note: string }[] = [];
      if (teachers[0] !== undefined) cases.push({ upn: people[teachers[0]]!.email, newer: true, lower: false, note: 'Intune primary user is a teacher, Intune check-in newer (teacher becomes holder)' });
      if (teachers[1] !== undefined) cases.push({ upn: people[teachers[1]]!.email, newer: false, lower: false, note: 'Intune primary user is a teacher, GAM sync newer (student stays holder)' });
      cases.push({ upn: 'contractor.jdoe@maplewood.example.org', newer: true, lower: false, note: 'Intune primary user is not in the SIS (also unknown-user)' });
      if (other[0] !== undefined) cases.push({ upn: people[this.gamOwner[other[0]]!]!.email, newer: true, lower: true, note: 'Intune primary user is another student, serial written lower-case in Intune' });
      cbs.forEach((g, k) => {
        const c = cases[k];
        if (!c) return;
        const row = this.gam[g]!;
        row.lastSync = this.asOfMs - (c.newer ? 3 : 1) * DAY - r.range(0, 43200) * SEC;
        this.addIntune(Kind.Lab, -1, r, c.upn, {
          serialNumber: c.lower ? row.serialNumber.toLowerCase() : row.serialNumber,
          lastCheckIn: this.asOfMs - (c.newer ? 1 : 4) * DAY - r.range(0, 43200) * SEC,
        });
        plant('duplicate-serial-conflict', dev(g), c.note);
      });
      // Benign duplicates: same device and same user in both systems, serial and UPN spelled differently.
      const benign = takeGam(cbPool, 2);
      benign.forEach((g, k) => {
        const row = this.gam[g]!;
        const p = ownerOfGam(g);
        const upn = p.email.charAt(0).toUpperCase() + p.email.slice(1).replace(this.studentDomain, 'Students.Maplewood.example.org');
        if (k === 0) row.lastSync = this.stale(r);
        const serial = k === 0 ? row.serialNumber.toLowerCase() : `${row.serialNumber.slice(0, 3)} ${row.serialNumber.slice(3)} `;
        this.addIntune(Kind.Lab, -1, r, upn, { serialNumber: serial, lastCheckIn: this.asOfMs - 2 * DAY - r.range(0, 43200) * SEC });
        trap('duplicate-serial-conflict', dev(g), k === 0
          ? 'same device and user in GAM and Intune (serial lower-case, UPN mixed case); GAM stale but Intune fresh: no conflict, not silent, one device'
          : 'same device and user in GAM and Intune (serial with spaces): no conflict, one device');
        trap('multiple-devices', personKey(p), 'holds one device observed twice (GAM + Intune): no finding');
      });
    }

    // unknown-user
    for (const g of takeGam(cbPool, 1)) {
      const row = this.gam[g]!;
      row.annotatedUser = typo(row.annotatedUser);
      plant('unknown-user', dev(g), `annotatedUser typo ${row.annotatedUser} (its student also has no device now)`);
    }
    for (const g of takeGam(sparePool, 1)) {
      this.gam[g]!.annotatedUser = `alumni.jordan.reyes@${this.studentDomain}`;
      plant('unknown-user', dev(g), 'spare still annotated to a graduated student who is no longer in the SIS');
    }
    for (const g of takeGam(cartPool, 1)) {
      this.gam[g]!.recentUser = `visiting.student@${this.studentDomain}`;
      plant('unknown-user', dev(g), 'cart device, no annotatedUser, recent user in the district domain but not in the SIS');
    }
    {
      const d = this.addIntune(Kind.Lab, -1, r, `it.helpdesk@${this.domain}`);
      usedIntune.add(d);
      plant('unknown-user', devI(d), 'Windows lab machine whose primary user is an IT service account not in the SIS');
    }
    for (const g of takeGam(sparePool, 1)) {
      this.gam[g]!.annotatedUser = 'guardian.account@gmail.com';
      plant('unknown-user', dev(g), 'annotatedUser outside the district (annotatedUser is not domain-filtered)');
    }
    for (const g of takeGam(cartPool, 1)) {
      this.gam[g]!.recentUser = 'gamer.kid@gmail.com';
      trap('unknown-user', dev(g), 'cart device whose only recent user is outside the district domains: user is null, no finding');
    }
    for (const g of takeGam(cartPool, 1)) {
      this.gam[g]!.recentUser = `substitute@not${this.domain}`;
      trap('unknown-user', dev(g), 'recent user at not<domain> (not a subdomain): user is null, no finding');
    }
    {
      const k2 = takePerson(1, (i) => i < this.nStudents && !devicesOf.has(i) && ['KG', '01', '02'].includes(people[i]!.grades[0]!));
      for (const i of k2) {
        for (const g of takeGam(cartPool, 1, (g) => this.gam[g]!.orgUnitPath === this.cartOu(this.studentSchool[i]!))) {
          this.gam[g]!.recentUser = people[i]!.email;
          trap('unknown-user', dev(g), 'cart device whose recent user is a K-2 student at the same school: matched via recentUsers, no finding');
        }
      }
    }

    // multiple-devices
    for (const g of takeGam(cbPool, 1)) {
      const o = this.gamOwner[g]!;
      const row = this.gam[g]!;
      this.addGam(Kind.Extra, o, {
        annotatedUser: row.annotatedUser, orgUnitPath: row.orgUnitPath, status: 'ACTIVE', lastSync: this.fresh(r),
        model: r.pick(this.current), bootMode: 'Verified', recentUser: row.annotatedUser,
      });
      usedGam.add(this.gam.length - 1);
      plant('multiple-devices', personKey(people[o]!), 'second Chromebook annotated to the same student (loaner never returned)');
    }
    for (const g of takeGam(cbPool, 1)) {
      const p = ownerOfGam(g);
      for (const s of takeGam(sparePool, 1)) {
        const spare = this.gam[s]!;
        spare.annotatedUser = p.email;
        spare.recentUser = p.email;
        spare.lastSync = this.fresh(r);
        plant('multiple-devices', personKey(p), 'spare from inventory annotated to a student who already has a Chromebook');
      }
    }
    for (const g of takeGam(cbPool, 1, (g) => ['09', '10', '11', '12'].includes(gradeOf(g)))) {
      const p = ownerOfGam(g);
      const d = this.addIntune(Kind.Student, this.gamOwner[g]!, r, p.email);
      usedIntune.add(d);
      plant('multiple-devices', personKey(p), 'high-school student with a Chromebook and a Windows laptop');
    }
    {
      let done = false;
      const k2 = takePerson(1, (i) => i < this.nStudents && !devicesOf.has(i) && ['KG', '01', '02'].includes(people[i]!.grades[0]!));
      for (const i of k2) {
        const carts = takeGam(cartPool, 2, (g) => this.gam[g]!.orgUnitPath === this.cartOu(this.studentSchool[i]!));
        for (const g of carts) {
          this.gam[g]!.annotatedUser = people[i]!.email;
        }
        if (carts.length === 2) {
          plant('multiple-devices', personKey(people[i]!), 'K-2 student annotated on two cart Chromebooks');
          done = true;
        }
      }
      if (!done) {
        for (const g of takeGam(cbPool, 1)) {
          const o = this.gamOwner[g]!;
          const row = this.gam[g]!;
          this.addGam(Kind.Extra, o, {
            annotatedUser: row.annotatedUser, orgUnitPath: row.orgUnitPath, status: 'ACTIVE', lastSync: this.fresh(r),
            model: r.pick(this.current), bootMode: 'Verified', recentUser: row.annotatedUser,
          });
          plant('multiple-devices', personKey(people[o]!), 'second Chromebook annotated to the same student');
        }
      }
    }

    // disabled-but-assigned
    for (const g of takeGam(cbPool, 5)) {
      this.gam[g]!.status = 'DISABLED';
      plant('disabled-but-assigned', dev(g), 'Chromebook disabled (reported lost) but still annotated to an active student');
    }
    for (const g of takeGam(sparePool, 2)) {
      this.gam[g]!.status = 'DISABLED';
      trap('disabled-but-assigned', dev(g), 'disabled spare with no user: no holder, no finding');
    }

    // noncompliant
    for (const d of takeIntune(staffLaptopPool, 4)) {
      this.intune[d]!.compliance = 'Noncompliant';
      plant('noncompliant', devI(d), 'staff Windows laptop reported Noncompliant');
    }
    {
      const hs = takeIntune(hsLaptopPool, 1);
      const list = hs.length > 0 ? hs : takeIntune(staffLaptopPool, 1);
      for (const d of list) {
        this.intune[d]!.compliance = 'Noncompliant';
        plant('noncompliant', devI(d), 'Windows laptop reported Noncompliant');
      }
      const lab = this.addIntune(Kind.Lab, -1, r, '', { compliance: 'Noncompliant' });
      plant('noncompliant', devI(lab), 'shared lab machine (no primary user) reported Noncompliant');
    }

    // dev-mode
    for (const g of takeGam(cbPool, 3)) {
      this.gam[g]!.bootMode = 'Dev';
      plant('dev-mode', dev(g), 'assigned Chromebook booted in developer mode');
    }
    for (const g of takeGam(cartPool, 1)) {
      this.gam[g]!.bootMode = 'Dev';
      plant('dev-mode', dev(g), 'cart Chromebook booted in developer mode');
    }
    for (const g of retiredPool.slice(2, 3)) {
      this.gam[g]!.bootMode = 'Dev';
      trap('dev-mode', dev(g), 'deprovisioned device in developer mode: not an active observation, no finding');
    }
  }

  settings(): DistrictSettings {
    const ouSchoolMap: Record<string, string> = {};
    for (const s of this.schools) ouSchoolMap[s.ouPath!] = s.sourcedId;
    return {
      sourceId: SOURCE_ID,
      domains: [this.domain],
      oneToOneGrades: [...ONE_TO_ONE_GRADES],
      ouSchoolMap,
      staleAfterDays: 30,
      aueWarningDays: 180,
      maxDevicesPerStudent: 1,
      asOf: isoDate(this.asOfMs),
    };
  }
}

/** `ava.martinez3@x` → `avamartinez3@x`: no generated address lacks the dot, so this never matches anyone. */
function typo(email: string): string {
  return email.replace('.', '');
}

export function defaultSchools(students: number): number {
  return Math.max(4, Math.round(students / 1000));
}

export function generateDistrict(opts: GenerateOptions): DistrictModel {
  if (!Number.isInteger(opts.students) || opts.students < 1) throw new Error('students must be a positive integer');
  if (Number.isNaN(opts.asOf.getTime())) throw new Error('asOf is not a valid date');
  const seed = opts.seed ?? DEFAULT_SEED;
  const b = new Builder(opts, seed);
  b.buildSchools(opts.schools ?? defaultSchools(opts.students));
  b.buildStudents(opts.students);
  b.buildStaff(opts.staff ?? Math.max(2 * b.schools.length, Math.round(opts.students * 0.06)));
  b.buildDevices(opts.devices ?? Math.round(opts.students * 1.1), opts.windowsLaptops);
  if (opts.plant) b.plant();
  const asOf = new Date(b.asOfMs);
  const y = asOf.getUTCMonth() >= 6 ? asOf.getUTCFullYear() : asOf.getUTCFullYear() - 1;
  return {
    seed,
    asOf,
    domain: b.domain,
    studentDomain: b.studentDomain,
    district: b.district,
    schools: b.schools,
    people: b.people,
    gam: b.gam,
    intune: b.intune,
    planted: b.planted,
    traps: b.traps,
    settings: b.settings(),
    schoolYear: { start: `${y}-08-17`, end: `${y + 1}-06-11`, year: y + 1 },
  };
}

// ==================================================================== writing
