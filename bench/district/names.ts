/**
 * Small fixed vocabularies for the synthetic district. Some names carry accents, apostrophes, hyphens and
 * spaces on purpose, so CSV quoting and email slugging get exercised.
 */

export const FIRST_NAMES: readonly string[] = [
  'Ava', 'Liam', 'Olivia', 'Noah', 'Emma', 'Oliver', 'Charlotte', 'Elijah', 'Amelia', 'James',
  'Sophia', 'William', 'Isabella', 'Benjamin', 'Mia', 'Lucas', 'Evelyn', 'Henry', 'Harper', 'Theodore',
  'Luna', 'Jack', 'Camila', 'Levi', 'Gianna', 'Alexander', 'Elizabeth', 'Jackson', 'Eleanor', 'Mateo',
  'Ella', 'Daniel', 'Abigail', 'Michael', 'Sofia', 'Mason', 'Avery', 'Sebastian', 'Scarlett', 'Ethan',
  'Emily', 'Logan', 'Aria', 'Owen', 'Penelope', 'Samuel', 'Chloe', 'Jacob', 'Layla', 'Asher',
  'Mila', 'Aiden', 'Nora', 'John', 'Hazel', 'Joseph', 'Madison', 'Wyatt', 'Ellie', 'David',
  'Lily', 'Leo', 'Nova', 'Luke', 'Isla', 'Julian', 'Grace', 'Hudson', 'Violet', 'Grayson',
  'Aurora', 'Matthew', 'Riley', 'Ezra', 'Zoey', 'Gabriel', 'Willow', 'Carter', 'Emilia', 'Isaac',
  'José', 'Zoë', 'Chloé', 'Anaïs', 'Mary-Kate', 'Jean-Luc', 'Nguyen', 'Aaliyah', 'Yusuf', 'Priya',
  'Kai', 'Amara', 'Santiago', 'Ximena', 'Mohammed', 'Fatima', 'Hiroshi', 'Mei', 'Dmitri', 'Siobhan',
];

export const LAST_NAMES: readonly string[] = [
  'Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez',
  'Hernandez', 'Lopez', 'Gonzalez', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Moore', 'Jackson', 'Martin',
  'Lee', 'Perez', 'Thompson', 'White', 'Harris', 'Sanchez', 'Clark', 'Ramirez', 'Lewis', 'Robinson',
  'Walker', 'Young', 'Allen', 'King', 'Wright', 'Scott', 'Torres', 'Nguyen', 'Hill', 'Flores',
  'Green', 'Adams', 'Nelson', 'Baker', 'Hall', 'Rivera', 'Campbell', 'Mitchell', 'Carter', 'Roberts',
  'Gomez', 'Phillips', 'Evans', 'Turner', 'Diaz', 'Parker', 'Cruz', 'Edwards', 'Collins', 'Reyes',
  'Stewart', 'Morris', 'Morales', 'Murphy', 'Cook', 'Rogers', 'Gutierrez', 'Ortiz', 'Morgan', 'Cooper',
  'Peterson', 'Bailey', 'Reed', 'Kelly', 'Howard', 'Ramos', 'Kim', 'Cox', 'Ward', 'Richardson',
  "O'Brien", "O'Connor", 'García-López', 'Müller', 'De La Cruz', 'Van der Berg', 'St. John', 'Nakamura', 'Okafor', 'Kowalski',
  'Patel', 'Singh', 'Chen', 'Wang', 'Haddad', 'Novak', 'Ivanova', 'Bjørnsen', 'MacDonald', 'Abernathy',
];

/**
 * Place names for schools. A school is named `<place> <Elementary|Middle School|High School>`; the first four
 * places give the demo's Lincoln / Washington / Roosevelt / Jefferson. No name is a string prefix of another,
 * so OU-path prefix matching is unambiguous whether or not it respects path segments.
 */
export const SCHOOL_PLACES: readonly string[] = [
  'Lincoln', 'Washington', 'Roosevelt', 'Jefferson', 'Franklin', 'Madison', 'Adams', 'Jackson', 'Monroe', 'Kennedy',
  'Hamilton', 'Garfield', 'Grant', 'Hoover', 'Wilson', 'Truman', 'Eisenhower', 'Lakeview', 'Riverside', 'Hillcrest',
  'Oakwood', 'Maple Grove', 'Cedar Ridge', 'Pine Valley', 'Willow Creek', 'Sunnyside', 'Meadowbrook', 'Brookside',
  'Fairview', 'Highland', 'Parkview', 'Westwood', 'Eastgate', 'Northside', 'Southridge', 'Clearwater', 'Stonebridge',
  'Foxhollow', 'Deer Park', 'Silver Lake', 'Golden Hills', 'Prairie View', 'Aspen', 'Birchwood', 'Cottonwood',
  'Elmhurst', 'Greenfield', 'Harbor', 'Ironwood', 'Juniper', 'Kingsley', 'Longfellow', 'Mountain View', 'Neptune',
  'Orchard', 'Pioneer', 'Quail Run', 'Redwood', 'Sequoia', 'Thornton', 'Union', 'Valley Forge', 'Whittier',
  'Yorktown', 'Zion', 'Carver', 'Douglass', 'Tubman', 'Earhart', 'Edison', 'Curie', 'Chavez', 'Marshall',
];

export type SerialKind = 'hp' | 'hpbiz' | 'lenovo' | 'dell' | 'acer' | 'surface';

export interface ChromebookModelSpec {
  name: string;
  serialKind: SerialKind;
  /** Auto-update expiration relative to asOf, in days (the generator turns it into a YYYY-MM-DD date). */
  aueOffsetDays: number;
  osVersion: string;
}

export interface WindowsModel {
  name: string;
  manufacturer: string;
  serialKind: SerialKind;
}

/**
 * Chromebook models. AUE dates are offsets from asOf so that every category keeps its meaning at any asOf; at
 * the demo's asOf (2026-11-01) they come out as the dates in the comments. No offset is within a week of 0 or of
 * the 180-day warning boundary, so date-vs-timestamp and time-zone readings of asOf all agree.
 */

/** What a clean district buys today: AUE years away (2031-06-01 .. 2033-06-01). */
export const CURRENT_CHROMEBOOKS: readonly ChromebookModelSpec[] = [
  { name: 'HP Chromebook 11 G9 EE', serialKind: 'hp', aueOffsetDays: 1673, osVersion: '130.0.6723.84' },
  { name: 'Lenovo 300e Yoga Chromebook Gen 4', serialKind: 'lenovo', aueOffsetDays: 2404, osVersion: '130.0.6723.84' },
  { name: 'Dell Chromebook 3110', serialKind: 'dell', aueOffsetDays: 1673, osVersion: '130.0.6723.84' },
  { name: 'Acer Chromebook Spin 511 (R753T)', serialKind: 'acer', aueOffsetDays: 2039, osVersion: '130.0.6723.84' },
  { name: 'Lenovo 500e Yoga Chromebook Gen 4', serialKind: 'lenovo', aueOffsetDays: 2404, osVersion: '130.0.6723.84' },
];

/** AUE already passed (2026-06-01, 2025-06-01). */
export const EXPIRED_CHROMEBOOKS: readonly ChromebookModelSpec[] = [
  { name: 'Lenovo 100e Chromebook 2nd Gen', serialKind: 'lenovo', aueOffsetDays: -153, osVersion: '126.0.6478.222' },
  { name: 'Acer Chromebook 311 (C733)', serialKind: 'acer', aueOffsetDays: -518, osVersion: '114.0.5735.350' },
];

/** AUE inside the 180-day warning window (2027-02-01; the window's last day is 2027-04-30). */
export const WARNING_CHROMEBOOKS: readonly ChromebookModelSpec[] = [
  { name: 'Dell Chromebook 3100', serialKind: 'dell', aueOffsetDays: 92, osVersion: '130.0.6723.84' },
];

/** AUE a month past the warning window (2027-06-01): never a finding at the default settings. */
export const NEAR_CHROMEBOOKS: readonly ChromebookModelSpec[] = [
  { name: 'HP Chromebook 11 G8 EE', serialKind: 'hp', aueOffsetDays: 212, osVersion: '130.0.6723.84' },
];

export const WINDOWS_MODELS: readonly WindowsModel[] = [
  { name: 'Latitude 3440', manufacturer: 'Dell Inc.', serialKind: 'dell' },
  { name: 'ThinkPad L14 Gen 4', manufacturer: 'LENOVO', serialKind: 'lenovo' },
  { name: 'HP ProBook 440 14 inch G10 Notebook PC', manufacturer: 'HP', serialKind: 'hpbiz' },
  { name: 'Surface Laptop SE', manufacturer: 'Microsoft Corporation', serialKind: 'surface' },
];

export const WINDOWS_OS_VERSIONS: readonly string[] = ['10.0.22631.4317', '10.0.22631.4391', '10.0.26100.2033'];

/** Lower-case ASCII letters only: `García-López` → `garcialopez`, `O'Brien` → `obrien`. */
export function slug(name: string): string {
  return name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/ø/gi, 'o')
    .toLowerCase()
    .replace(/[^a-z]/g, '');
}
